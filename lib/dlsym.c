// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * dlsym: the CUDA runtime (libcudart, shared or static inside a framework)
 * does not call the driver by name: it dlopen()s libcuda.so.1 and asks
 * dlsym() on that handle for cuGetProcAddress_v2, then finds everything
 * else through it.  A preloaded library never sees that lookup, so such
 * programs would escape the interposer.  libvgpu therefore exports dlsym
 * too, and answers one narrow question differently from glibc:
 *
 *   handle is the libcuda.so.1 libvgpu itself loads (the same link map:
 *   dlopen(RTLD_NOLOAD) of that name), the name is a hooked ABI name
 *   (hooks.h, so cuGetProcAddress and cuGetProcAddress_v2 too), the driver
 *   has that symbol, and libvgpu is the interposer of this process (the
 *   global scope's cuInit is libvgpu's: it was preloaded, or linked before
 *   libcuda)
 *     -> libvgpu's wrapper of that name;
 *   anything else -> the next dlsym's answer, untouched.
 *
 * Untouched includes who asked: glibc's dlsym reads its caller's return
 * address (RTLD_NEXT is relative to the caller's object, RTLD_DEFAULT looks
 * in the caller's namespace, and the object found becomes a dependency of
 * the caller's).  So the exported entry is a few instructions of assembly
 * that ask vgpu_dlsym_pick() and then *jump* to the next dlsym with the
 * caller's arguments and return address still in place; a C wrapper
 * calling it would make every RTLD_NEXT lookup relative to libvgpu.
 *
 * The next dlsym is dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34"), else at the
 * architecture's first version (GLIBC_2.2.5 on x86-64, GLIBC_2.17 on
 * AArch64: libdl's, before glibc 2.34); if whatever answers for dlvsym
 * (another interposer of it) hands back our own entry, or nothing, the same
 * lookups on libc's (libdl's) own handle, which do not depend on the
 * caller.  libvgpu does not interpose dlvsym: glibc 2.36 exports dlsym and
 * dlvsym at GLIBC_2.34 (and the first version for old binaries); the CUDA
 * 13 runtime imports dlvsym but only asks it for libc functions on its
 * program's handle, and finds the driver with dlsym.
 *
 * The entry is exported as dlsym@@GLIBC_2.34 and dlsym@GLIBC_2.2.5 (2.17
 * on AArch64; the version nodes are in libvgpu.map), so that it binds the
 * references of programs and libraries built against any glibc, old or
 * new.  Nothing in libvgpu may call dlsym by name (it would come here): the
 * interposer resolves the driver with vgpu_dlsym_real().
 *
 * The decision allocates nothing, takes no lock of ours and calls no libc
 * string function; it is built without sanitizer instrumentation because
 * a sanitizer runtime preloaded before us calls dlsym (and so this) while
 * it initialises itself.  Names that are not hooked ABI names cost two
 * character comparisons, or a scan of the hooked names when they begin
 * with "cu".  Architectures other than x86-64 and AArch64 get no dlsym
 * export (the interposer works as before there).
 */
#include <dlfcn.h>
#include <stdint.h>

#include "interpose.h"

typedef void *(*dlsym_fn)(void *, const char *);

/* What the entry does: return .sym if set, else jump to .next (if set). */
struct vgpu_dl_pick {
	void *sym;
	void *next;
};

struct vgpu_dl_pick vgpu_dlsym_pick(void *handle, const char *name);

#define NOSAN __attribute__((no_sanitize("address", "undefined")))

#if defined(__x86_64__) || defined(__aarch64__)
#define VGPU_DLSYM_HOOK 1
#endif

#ifdef VGPU_DLSYM_HOOK
/*
 * vgpu_dlsym_entry (hidden: our own address, to recognise ourselves) and
 * the two exported names at the same address.  The arguments are saved
 * around the call and restored before the jump; the stack is as the caller
 * left it when the next dlsym runs.
 */
#if defined(__x86_64__)
__asm__(
	"	.text\n"
	"	.p2align 4\n"
	"	.globl vgpu_dlsym_entry\n"
	"	.hidden vgpu_dlsym_entry\n"
	"	.type vgpu_dlsym_entry, @function\n"
	"	.globl vgpu_dlsym_2_34\n"
	"	.type vgpu_dlsym_2_34, @function\n"
	"	.globl vgpu_dlsym_2_2_5\n"
	"	.type vgpu_dlsym_2_2_5, @function\n"
	"vgpu_dlsym_entry:\n"
	"vgpu_dlsym_2_34:\n"
	"vgpu_dlsym_2_2_5:\n"
	"	.cfi_startproc\n"
#ifdef __CET__
	"	endbr64\n"
#endif
	"	pushq %rdi\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	pushq %rsi\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	subq $8, %rsp\n"		/* 16-byte alignment at the call */
	"	.cfi_adjust_cfa_offset 8\n"
	"	call vgpu_dlsym_pick\n"		/* rax: sym, rdx: next */
	"	addq $8, %rsp\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %rsi\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %rdi\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	testq %rax, %rax\n"
	"	jnz 1f\n"
	"	testq %rdx, %rdx\n"
	"	jz 1f\n"
	"	jmp *%rdx\n"
	"1:	ret\n"
	"	.cfi_endproc\n"
	"	.size vgpu_dlsym_entry, .-vgpu_dlsym_entry\n"
	"	.size vgpu_dlsym_2_34, .-vgpu_dlsym_2_34\n"
	"	.size vgpu_dlsym_2_2_5, .-vgpu_dlsym_2_2_5\n"
	"	.symver vgpu_dlsym_2_34, dlsym@@GLIBC_2.34\n"
	"	.symver vgpu_dlsym_2_2_5, dlsym@GLIBC_2.2.5\n"
);
#elif defined(__aarch64__)
__asm__(
	"	.text\n"
	"	.p2align 4\n"
	"	.globl vgpu_dlsym_entry\n"
	"	.hidden vgpu_dlsym_entry\n"
	"	.type vgpu_dlsym_entry, %function\n"
	"	.globl vgpu_dlsym_2_34\n"
	"	.type vgpu_dlsym_2_34, %function\n"
	"	.globl vgpu_dlsym_2_17\n"
	"	.type vgpu_dlsym_2_17, %function\n"
	"vgpu_dlsym_entry:\n"
	"vgpu_dlsym_2_34:\n"
	"vgpu_dlsym_2_17:\n"
	"	.cfi_startproc\n"
	"	hint #34\n"			/* bti c */
	"	stp x29, x30, [sp, #-32]!\n"
	"	.cfi_def_cfa_offset 32\n"
	"	.cfi_offset 29, -32\n"
	"	.cfi_offset 30, -24\n"
	"	mov x29, sp\n"
	"	stp x0, x1, [sp, #16]\n"
	"	bl vgpu_dlsym_pick\n"		/* x0: sym, x1: next */
	"	mov x17, x0\n"
	"	mov x16, x1\n"
	"	ldp x0, x1, [sp, #16]\n"
	"	ldp x29, x30, [sp], #32\n"
	"	.cfi_def_cfa_offset 0\n"
	"	.cfi_restore 29\n"
	"	.cfi_restore 30\n"
	"	cbnz x17, 1f\n"
	"	cbz x16, 2f\n"
	"	br x16\n"
	"1:	mov x0, x17\n"
	"	ret\n"
	"2:	mov x0, #0\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size vgpu_dlsym_entry, .-vgpu_dlsym_entry\n"
	"	.size vgpu_dlsym_2_34, .-vgpu_dlsym_2_34\n"
	"	.size vgpu_dlsym_2_17, .-vgpu_dlsym_2_17\n"
	"	.symver vgpu_dlsym_2_34, dlsym@@GLIBC_2.34\n"
	"	.symver vgpu_dlsym_2_17, dlsym@GLIBC_2.17\n"
);
#endif

extern char vgpu_dlsym_entry[] __attribute__((visibility("hidden")));

static void *dl_next;		/* the next dlsym, once found */
static void *dl_cuda;		/* libcuda.so.1's handle, once it is loaded */

/* dlvsym(@h, "dlsym", each version glibc has given it), if not our own. */
NOSAN static void *dl_find(void *h)
{
	static const char *const vers[] = { "GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17" };

	for (unsigned int i = 0; i < ARRAY_SIZE(vers); i++) {
		void *p = dlvsym(h, "dlsym", vers[i]);

		if (p && p != (void *)vgpu_dlsym_entry)
			return p;
	}
	return NULL;
}

NOSAN static void *dl_next_get(void)
{
	void *p = __atomic_load_n(&dl_next, __ATOMIC_ACQUIRE);

	if (likely(p))
		return p;
	p = dl_find(RTLD_NEXT);
	if (!p) {
		/* libc's own, whoever answers for dlvsym; libdl's before 2.34 */
		static const char *const libs[] = { "libc.so.6", "libdl.so.2" };

		for (unsigned int i = 0; !p && i < ARRAY_SIZE(libs); i++) {
			void *h = dlopen(libs[i], RTLD_LAZY | RTLD_NOLOAD);

			if (h)
				p = dl_find(h);
		}
	}
	if (p)
		__atomic_store_n(&dl_next, p, __ATOMIC_RELEASE);
	return p;
}

/* Found at load too, so that a first dlsym in a signal handler finds it ready. */
__attribute__((constructor)) static void dl_init(void)
{
	dl_next_get();
}

NOSAN static bool dl_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

NOSAN static int dl_hook_id(const char *name)
{
	if (name[0] != 'c' || name[1] != 'u')
		return -1;
	for (int i = 0; i < VH_COUNT; i++)
		if (dl_streq(vgpu_hook_names[i], name))
			return i;
	return -1;
}

/* The libcuda.so.1 of this namespace, if it is loaded (one reference kept). */
NOSAN static void *dl_cuda_get(void)
{
	void *h = __atomic_load_n(&dl_cuda, __ATOMIC_ACQUIRE), *none = NULL;

	if (h)
		return h;
	h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
	if (h && !__atomic_compare_exchange_n(&dl_cuda, &none, h, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE)) {
		dlclose(h);
		h = none;
	}
	return h;
}

/*
 * libvgpu interposes this process: the global scope's cuInit is ours.  Not
 * so when only a runtime that uses the C API linked us, after libcuda.
 */
NOSAN static bool dl_active(dlsym_fn next)
{
	void *ours = (void *)dl_active, *fn = next(RTLD_DEFAULT, "cuInit");
	Dl_info a, b;

	return fn && dladdr(fn, &a) && dladdr(ours, &b) && a.dli_fbase == b.dli_fbase;
}

NOSAN struct vgpu_dl_pick vgpu_dlsym_pick(void *handle, const char *name)
{
	struct vgpu_dl_pick r = { NULL, dl_next_get() };
	dlsym_fn next = (dlsym_fn)r.next;
	int id;

	if (!next || !name || handle == RTLD_DEFAULT || handle == RTLD_NEXT)
		return r;
	id = dl_hook_id(name);
	if (id < 0 || handle != dl_cuda_get())
		return r;
	/* the driver's own answer first: a function it lacks stays missing */
	if (next(handle, name) && dl_active(next))
		r.sym = vgpu_wrappers[id];
	return r;
}

void *vgpu_dlsym_real(void *handle, const char *name)
{
	dlsym_fn next = (dlsym_fn)dl_next_get();

	return next ? next(handle, name) : NULL;
}

#else /* !VGPU_DLSYM_HOOK */

void *vgpu_dlsym_real(void *handle, const char *name)
{
	return dlsym(handle, name);
}

#endif
