// SPDX-License-Identifier: GPL-2.0-only
/*
 * jsonflat: read JSON documents from stdin and print every leaf as one line
 * PATH=VALUE, e.g. "[0].memory=17179869184" or ".gpus[1].name=t"; strings
 * bare, true/false/null as words, an empty object or array as {} or [].
 * The VM's busybox has no JSON tool: the cases check vgpuctl --json with
 * this and grep.  Exit status 1 when the input is not JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

static int print_leaves(struct json_object *o, char *path, size_t len,
			size_t size)
{
	int n;

	switch (json_object_get_type(o)) {
	case json_type_object:
		if (json_object_object_length(o) == 0) {
			printf("%s={}\n", path);
			return 0;
		}
		json_object_object_foreach(o, key, val) {
			n = snprintf(path + len, size - len, ".%s", key);
			if (n < 0 || (size_t)n >= size - len)
				return -1;
			if (print_leaves(val, path, len + (size_t)n, size))
				return -1;
			path[len] = '\0';
		}
		return 0;
	case json_type_array: {
		size_t count = json_object_array_length(o);

		if (count == 0) {
			printf("%s=[]\n", path);
			return 0;
		}
		for (size_t i = 0; i < count; i++) {
			n = snprintf(path + len, size - len, "[%zu]", i);
			if (n < 0 || (size_t)n >= size - len)
				return -1;
			if (print_leaves(json_object_array_get_idx(o, i), path,
					 len + (size_t)n, size))
				return -1;
			path[len] = '\0';
		}
		return 0;
	}
	case json_type_null:
		printf("%s=null\n", path);
		return 0;
	default:
		printf("%s=%s\n", path, json_object_get_string(o));
		return 0;
	}
}

int main(void)
{
	struct json_tokener *tok = json_tokener_new();
	size_t size = 0, len = 0, pos = 0;
	char path[4096] = "";
	char *buf = NULL;
	int docs = 0, ret = 1;

	if (!tok)
		return 1;
	for (;;) {
		if (len + 4096 > size) {
			char *nbuf = realloc(buf, size = 2 * size + 4096);

			if (!nbuf)
				goto out;
			buf = nbuf;
		}
		size_t n = fread(buf + len, 1, size - len - 1, stdin);

		if (!n)
			break;
		len += n;
	}
	if (!buf || ferror(stdin))
		goto out;
	buf[len] = '\0';

	/* One or more documents, separated by white space. */
	while (pos < len) {
		struct json_object *o;

		pos += strspn(buf + pos, " \t\r\n");
		if (pos >= len)
			break;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, buf + pos, (int)(len - pos) + 1);
		if (!o) {
			fprintf(stderr, "jsonflat: not JSON at byte %zu: %s\n",
				pos, json_tokener_error_desc(
					json_tokener_get_error(tok)));
			goto out;
		}
		pos += json_tokener_get_parse_end(tok);
		path[0] = '\0';
		if (print_leaves(o, path, 0, sizeof(path))) {
			fprintf(stderr, "jsonflat: path too long\n");
			json_object_put(o);
			goto out;
		}
		json_object_put(o);
		docs++;
	}
	if (!docs) {
		fprintf(stderr, "jsonflat: no JSON on stdin\n");
		goto out;
	}
	ret = 0;
out:
	free(buf);
	json_tokener_free(tok);
	return ret;
}
