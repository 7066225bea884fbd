# SPDX-License-Identifier: GPL-2.0-only
#
# Library of the VM cases (busybox sh).  A case is a file of test functions:
#
#   . /vgpu/lib.sh
#   case_begin                      # fresh vgpu.ko: no GPU, no slice
#   t_add() { expect_ok vgpuctl gpu add ...; expect_attr "$CLASS/vgpu0/sms" 132; }
#   run t_add                       # PASS <case>: add  or  FAIL <case>: add: why
#   finish
#
# Each test runs in a subshell under set -e: the first failed assertion (or
# any unchecked command that fails) ends it.  Assertions record why they
# failed; the first reason recorded is the one printed.  Nothing here
# sleeps: sysfs, netlink and devtmpfs are synchronous, so every value can be
# read back at once.
#
# Under TCG every process costs milliseconds, and a tenth of a second on the
# debug kernel: the helpers here use shell builtins where they can (read,
# case, globs) rather than cat, grep and ls.

CASE=${0##*/}
CASE=${CASE%.sh}
# VGPU_HAVE_MDEVCTL and the rest of what run.sh wrote.
. /vgpu/env
VT=/tmp/vt.$CASE
REASON=$VT/reason
mkdir -p "$VT"

GiB=1073741824
MiB=1048576
CLASS=/sys/class/vgpu
MDEV_DEVICES=/sys/bus/mdev/devices

_npass=0
_nfail=0

# ---- running tests ---------------------------------------------------------

# fail REASON: record why the test fails (the first reason wins); returns 1.
fail() {
	[ -s "$REASON" ] || printf '%s' "$*" | tr '\n' ' ' >"$REASON"
	echo "  FAILED: $*" >&2
	return 1
}

# run FN: run test function FN (named t_<test>) and print its verdict.
run() {
	_name=${1#t_}
	: >"$REASON"
	echo 1 >"$VT/dirty"
	echo "## $CASE: $_name" >&2
	( set -e; "$1" ) </dev/null
	_rc=$?
	if [ "$_rc" = 0 ]; then
		echo "PASS $CASE: $_name"
		_npass=$((_npass + 1))
	else
		if [ -s "$REASON" ]; then
			_why=$(cat "$REASON")
		else
			_why="a command failed with status $_rc (see tests.log)"
		fi
		echo "FAIL $CASE: $_name: $_why"
		_nfail=$((_nfail + 1))
	fi
}

# case_begin: every case starts from a freshly loaded module.
case_begin() {
	: >"$REASON"
	if ! ( set -e; module_fresh ); then
		echo "FAIL $CASE: setup: $(cat "$REASON" 2>/dev/null)"
		exit 0
	fi
}

finish() {
	echo "# $CASE: $_npass passed, $_nfail failed"
	exit 0
}

# ---- errno names -------------------------------------------------------------

# _errno_num NAME: $_n gets the number of errno NAME (no subshell: forks
# are slow under TCG, very slow on the debug kernel).
_errno_num() {
	case $1 in
	0) _n=0 ;;
	EPERM) _n=1 ;;
	ENOENT) _n=2 ;;
	EIO) _n=5 ;;
	ENXIO) _n=6 ;;
	E2BIG) _n=7 ;;
	EAGAIN) _n=11 ;;
	ENOMEM) _n=12 ;;
	EACCES) _n=13 ;;
	EBUSY) _n=16 ;;
	EEXIST) _n=17 ;;
	ENODEV) _n=19 ;;
	EINVAL) _n=22 ;;
	ENOTTY) _n=25 ;;
	ENOSPC) _n=28 ;;
	ERANGE) _n=34 ;;
	EUSERS) _n=87 ;;
	EMSGSIZE) _n=90 ;;
	EOPNOTSUPP) _n=95 ;;
	*) fail "lib.sh: unknown errno name $1"; return 1 ;;
	esac
}

errno_num() {
	_errno_num "$1" || return 1
	echo "$_n"
}

# _errno_text NAME: $_t gets glibc's strerror() text of errno NAME, as
# vgpuctl and busybox print it.
_errno_text() {
	case $1 in
	EPERM) _t="Operation not permitted" ;;
	ENOENT) _t="No such file or directory" ;;
	EIO) _t="Input/output error" ;;
	ENXIO) _t="No such device or address" ;;
	E2BIG) _t="Argument list too long" ;;
	EAGAIN) _t="Resource temporarily unavailable" ;;
	ENOMEM) _t="Cannot allocate memory" ;;
	EACCES) _t="Permission denied" ;;
	EBUSY) _t="Device or resource busy" ;;
	EEXIST) _t="File exists" ;;
	ENODEV) _t="No such device" ;;
	EINVAL) _t="Invalid argument" ;;
	ENOTTY) _t="Inappropriate ioctl for device" ;;
	ENOSPC) _t="No space left on device" ;;
	ERANGE) _t="Numerical result out of range" ;;
	EUSERS) _t="Too many users" ;;
	EMSGSIZE) _t="Message too long" ;;
	EOPNOTSUPP) _t="Operation not supported" ;;
	*) fail "lib.sh: unknown errno name $1"; return 1 ;;
	esac
}

# ---- commands --------------------------------------------------------------

NL='
'

# _slurp VAR FILE: VAR gets FILE's contents less trailing newlines, as
# $(cat FILE) would, without forking (a fork costs milliseconds under TCG).
_slurp() {
	IFS= read -r -d '' _s <"$2" || true
	while [ "${_s%"$NL"}" != "$_s" ]; do
		_s=${_s%"$NL"}
	done
	eval "$1=\$_s"
}

# _capture CMD...: run CMD, stdout in $OUT, stderr in $ERR, status in $RC.
# Every command of a test runs through here: it marks the state dirty.
_capture() {
	echo 1 >"$VT/dirty"
	RC=0
	"$@" >"$VT/out" 2>"$VT/err" || RC=$?
	_slurp OUT "$VT/out"
	_slurp ERR "$VT/err"
}

_show_output() {
	[ -z "$OUT" ] || printf '  stdout: %s\n' "$OUT" >&2
	[ -z "$ERR" ] || printf '  stderr: %s\n' "$ERR" >&2
}

# expect_ok CMD...: CMD succeeds.  Its output stays in $OUT and $ERR.
expect_ok() {
	_capture "$@"
	if [ "$RC" != 0 ]; then
		_show_output
		fail "'$*' failed with status $RC: $(printf '%s' "$ERR" | head -n1)"
		return 1
	fi
}

# expect_fail CMD...: CMD fails (any status).
expect_fail() {
	_capture "$@"
	if [ "$RC" = 0 ]; then
		_show_output
		fail "'$*' succeeded, expected a failure"
		return 1
	fi
}

# expect_errno ERRNO CMD...: CMD fails and its stderr names ERRNO's text
# (e.g. "No space left on device").
expect_errno() {
	_e=$1
	shift
	_errno_text "$_e" || return 1
	_capture "$@"
	if [ "$RC" = 0 ]; then
		_show_output
		fail "'$*' succeeded, expected $_e"
		return 1
	fi
	case $ERR in
	*"$_t"*) ;;
	*)
		_show_output
		fail "'$*' failed (status $RC) without naming $_e ('$_t'): $(printf '%s' "$ERR" | head -n1)"
		return 1
		;;
	esac
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	[ "$1" = "$2" ] && return 0
	fail "$3: got '$1', expected '$2'"
}

# expect_ne ACTUAL UNEXPECTED WHAT
expect_ne() {
	[ "$1" != "$2" ] && return 0
	fail "$3: got '$1', expected anything else"
}

# expect_match ACTUAL ERE WHAT
expect_match() {
	printf '%s\n' "$1" | grep -qE "$2" && return 0
	fail "$3: '$1' does not match /$2/"
}

# expect_contains TEXT FIXED WHAT: TEXT contains FIXED.
expect_contains() {
	case $1 in
	*"$2"*) return 0 ;;
	esac
	fail "$3: '$2' not in: $(printf '%s' "$1" | head -n3 | tr '\n' '|')"
}

# expect_field TEXT VALUE WHAT: a line of TEXT (vgpuctl's tab-separated
# plain output) has a field equal to VALUE.
expect_field() {
	printf '%s\n' "$1" | awk -F '\t' -v v="$2" '
		{ for (i = 1; i <= NF; i++) if ($i == v) f = 1 } END { exit !f }' &&
		return 0
	fail "$3: no field '$2' in: $(printf '%s' "$1" | head -n3 | tr '\n\t' '| ')"
}

expect_lacks() {
	case $1 in
	*"$2"*) ;;
	*) return 0 ;;
	esac
	fail "$3: '$2' unexpectedly in: $(printf '%s' "$1" | grep -F -- "$2" | head -n1)"
}

expect_exists() {
	[ -e "$1" ] || [ -L "$1" ] || fail "$1 does not exist"
}

expect_absent() {
	[ ! -e "$1" ] && [ ! -L "$1" ] || fail "$1 still exists"
}

# expect_node PATH MODE UID GID: PATH is a character device with that
# permission (octal, as stat %a prints it) and owner.
expect_node() {
	_s=$(stat -c '%F %a %u %g' "$1" 2>&1) || { fail "stat $1: $_s"; return 1; }
	expect_eq "$_s" "character special file $2 $3 $4" "$1 (type mode uid gid)"
}

uuidgen() {
	cat /proc/sys/kernel/random/uuid
}

# ---- sysfs -------------------------------------------------------------------

# _rdv VAR PATH: VAR gets the contents of a sysfs file (less trailing
# newlines), read by the shell itself; or a recorded failure.
_rdv() {
	if ! { IFS= read -r -d '' _s || :; } <"$2"; then
		fail "cannot read $2"
		return 1
	fi
	while [ "${_s%"$NL"}" != "$_s" ]; do
		_s=${_s%"$NL"}
	done
	eval "$1=\$_s"
}

# rd PATH: print the contents of a sysfs file, or record a failure.
rd() {
	_rdv _v "$1" || return 1
	printf '%s\n' "$_v"
}

# expect_attr PATH EXPECTED
expect_attr() {
	_rdv _v "$1" || return 1
	expect_eq "$_v" "$2" "$1"
}

# sysfs_set PATH VALUE: one write(2) of VALUE and a newline must succeed.
sysfs_set() {
	_capture sysfs_write "$1" "$2"
	[ "$RC" = 0 ] && return 0
	fail "writing '$2' to $1: $OUT"
}

# snapshot: every GPU, type and slice with all their values (the GPU, type
# and slice dumps over netlink, in one process), the device nodes and the
# mdev devices, to compare before and after a refused change.  Reading the
# same through sysfs costs a hundred file opens: most of a second each time
# on the debug kernel.
snapshot() {
	nlraw --state 2>&1
	echo /dev/vgpu/* "$MDEV_DEVICES"/*
}

# _state_before: $_before gets the state before a change that must be
# refused.  The snapshot taken after the previous refusal serves when no
# command ran since (an empty dirty mark): half the snapshots, each a fraction of
# a second on the debug kernel.
_state_before() {
	if [ -s "$VT/dirty" ] || [ ! -e "$VT/state" ]; then
		_before=$(snapshot)
	else
		_slurp _before "$VT/state"
	fi
}

# _unchanged BEFORE WHAT: the snapshot still equals BEFORE.
_unchanged() {
	_after=$(snapshot)
	: >"$VT/dirty"
	printf '%s\n' "$_after" >"$VT/state"
	[ "$1" = "$_after" ] && return 0
	printf '%s\n' "$1" >"$VT/before"
	printf '%s\n' "$_after" >"$VT/after"
	diff "$VT/before" "$VT/after" >&2
	fail "$2 changed the state: $(diff "$VT/before" "$VT/after" | grep '^[-+][^-+]' | head -n2 | tr '\n' ' ')"
}

# expect_write_errno ERRNO PATH VALUE: one write(2) of VALUE to PATH fails
# with exactly ERRNO (sysfs_write's status) and changes nothing.
expect_write_errno() {
	_state_before
	_errno_num "$1" || return 1
	_capture sysfs_write "$2" "$3"
	if [ "$RC" != "$_n" ]; then
		fail "writing '$3' to $2: $OUT, expected $1"
		return 1
	fi
	_unchanged "$_before" "writing '$3' to $2"
}

# echo_to PATH VALUE: the shell's echo, whose error names write(2)'s errno.
echo_to() {
	sh -c 'echo "$2" >"$1"' sh "$1" "$2"
}

# expect_refused ERRNO CMD...: expect_errno, and nothing changed.
# CMD must not be a function of this library that captures output itself.
expect_refused() {
	_state_before
	expect_errno "$@" || return 1
	shift
	_unchanged "$_before" "'$*'"
}

# ---- netlink through nlraw ---------------------------------------------------

# expect_nl ERRNO NLRAW-ARGS...: nlraw exits with exactly ERRNO.  A refusal
# must carry an extended-ack sentence, except EPERM and EOPNOTSUPP, which the
# generic netlink core gives before the family sees the request.  nlraw's
# output stays in $OUT, the sentence in $EXTACK.
expect_nl() {
	_e=$1
	shift
	_errno_num "$_e" || return 1
	_capture nlraw "$@"
	# "errno=N TEXT: SENTENCE" (strerror texts have no colon).
	_l=${OUT%%"$NL"*}
	case $_l in
	errno=*": "*) EXTACK=${_l#*": "} ;;
	*) EXTACK= ;;
	esac
	if [ "$RC" != "$_n" ]; then
		_show_output
		fail "nlraw $*: $(printf '%s\n' "$OUT" "$ERR" | grep -m1 .) (status $RC), expected $_e"
		return 1
	fi
	case $_e in
	0|EPERM|EOPNOTSUPP) ;;
	*)
		[ -n "$EXTACK" ] ||
			fail "nlraw $*: $_e without an extended-ack sentence"
		;;
	esac
}

# expect_nl_refused ERRNO NLRAW-ARGS...: expect_nl, and nothing changed.
expect_nl_refused() {
	_state_before
	expect_nl "$@" || return 1
	shift
	_unchanged "$_before" "nlraw $*"
}

# expect_bad_attr NAME|NUMBER: the last nlraw's ack points at that attribute.
expect_bad_attr() {
	case "$NL$OUT$NL" in
	*"${NL}bad_attr=$1 ("*|*"${NL}bad_attr=$1$NL"*) return 0 ;;
	esac
	_show_output
	fail "the extended ack does not point at $1: $(printf '%s' "$OUT" | grep '^bad_attr=' || echo 'no offset')"
}

# expect_family registered|absent: whether the family "vgpu" is registered
# (nlraw looks in a dump of the families, which loads no module).
expect_family() {
	_capture nlraw --registered
	if [ "$1" = registered ]; then
		[ "$RC" = 0 ] && return 0
	else
		[ "$RC" = 2 ] && return 0
	fi
	fail "generic netlink family vgpu: '$OUT' (status $RC), expected $1"
}

# nl_replies: the reply count of the last nlraw.
nl_replies() {
	echo "${OUT##*replies=}"
}

# ---- JSON through jsonflat ----------------------------------------------------

# json CMD...: run CMD (which prints JSON); $JSON gets its leaves as
# PATH=VALUE lines.  Fails when CMD fails or prints no valid JSON.
json() {
	expect_ok "$@" || return 1
	JSON=$(printf '%s\n' "$OUT" | jsonflat 2>"$VT/json.err") || {
		fail "'$*' printed no valid JSON: $(cat "$VT/json.err")"
		return 1
	}
}

# json_values KEY: the values of every leaf named KEY in $JSON.
json_values() {
	set -f
	_oifs=$IFS
	IFS=$NL
	for _l in $JSON; do
		_p=${_l%%=*}
		[ "${_p##*.}" = "$1" ] && echo "${_l#*=}"
	done
	IFS=$_oifs
	set +f
	true
}

# json_count KEY: how many leaves are named KEY.
json_count() {
	set -f
	_oifs=$IFS
	IFS=$NL
	_c=0
	for _l in $JSON; do
		_p=${_l%%=*}
		[ "${_p##*.}" != "$1" ] || _c=$((_c + 1))
	done
	IFS=$_oifs
	set +f
	echo "$_c"
}

# json_field KEY VALUE FIELD: FIELD of the object in which KEY is VALUE.
json_field() {
	set -f
	_oifs=$IFS
	IFS=$NL
	_obj=
	for _l in $JSON; do
		_p=${_l%%=*}
		if [ "${_p##*.}" = "$1" ] && [ "${_l#*=}" = "$2" ]; then
			_obj=${_p%.*}
			break
		fi
	done
	if [ -n "$_obj" ]; then
		for _l in $JSON; do
			[ "${_l%%=*}" = "$_obj.$3" ] && echo "${_l#*=}" && break
		done
	fi
	IFS=$_oifs
	set +f
	true
}

# expect_json KEY VALUE FIELD EXPECTED: json_field equals EXPECTED.
expect_json() {
	expect_eq "$(json_field "$1" "$2" "$3")" "$4" "JSON $3 of the object with $1=$2"
}

# ---- the module and its objects -------------------------------------------------

# module_fresh: vgpu.ko loaded anew: no GPU, no slice.
module_fresh() {
	if [ -d /sys/module/vgpu ]; then
		expect_ok rmmod vgpu || return 1
	fi
	expect_ok modprobe vgpu || return 1
	[ -d "$CLASS" ] || fail "$CLASS missing after modprobe vgpu"
}

# gpu_ids: the ids of the GPUs (in glob order: numeric below 10).
gpu_ids() {
	for _d in "$CLASS"/vgpu[0-9]*; do
		[ -e "$_d" ] && echo "${_d#"$CLASS"/vgpu}"
	done
	true
}

# slice_uuids: the UUIDs of every slice, sorted.
slice_uuids() {
	for _d in "$CLASS"/*; do
		case ${_d##*/} in
		vgpu[0-9]*|"*") ;;
		*) echo "${_d##*/}" ;;
		esac
	done
}

nr_slices_all() {
	_count $(slice_uuids)
	echo "$_c"
}

# _count WORDS...: $_c gets how many.
_count() {
	_c=$#
}

# _added BEFORE AFTER: the lines of AFTER that are not in BEFORE.
_added() {
	for _w in $2; do
		case "$NL$1$NL" in
		*"$NL$_w$NL"*) ;;
		*) echo "$_w" ;;
		esac
	done
}

# new_gpu ARGS...: 'vgpuctl gpu add ARGS' must add exactly one GPU; prints
# its id.
new_gpu() {
	_b=$(gpu_ids)
	expect_ok vgpuctl gpu add "$@" || return 1
	_new=$(_added "$_b" "$(gpu_ids)")
	_count $_new
	[ "$_c" = 1 ] ||
		{ fail "vgpuctl gpu add $*: GPUs added: '$_new', expected one"; return 1; }
	echo "$_new"
}

# new_sim_gpu [MEMORY [SMS [ARGS...]]]: a simulated GPU (16G, 132 SMs).
new_sim_gpu() {
	_m=16G
	_s=132
	[ $# = 0 ] || { _m=$1; shift; }
	[ $# = 0 ] || { _s=$1; shift; }
	_count $(gpu_ids)
	new_gpu --sim --name "sim$_c" --memory "$_m" --sms "$_s" "$@"
}

# new_slice GPU TYPE [ARGS...]: 'vgpuctl slice create' must add exactly one
# slice; prints its UUID.
new_slice() {
	_b=$(slice_uuids)
	expect_ok vgpuctl slice create "$@" || return 1
	_new=$(_added "$_b" "$(slice_uuids)")
	_count $_new
	[ "$_c" = 1 ] ||
		{ fail "vgpuctl slice create $*: slices added: '$_new', expected one"; return 1; }
	echo "$_new"
}

# type_dir GPU TYPE: the mdev type directory of TYPE (e.g. 1g.2gb).
type_dir() {
	echo "$CLASS/vgpu$1/mdev_supported_types/vgpu-$2"
}

# new_mdev GPU TYPE [UUID]: create a slice through the mdev create file;
# prints its UUID.
new_mdev() {
	_u=${3:-$(uuidgen)}
	sysfs_set "$(type_dir "$1" "$2")/create" "$_u" || return 1
	[ -d "$MDEV_DEVICES/$_u" ] ||
		{ fail "mdev $_u missing after create"; return 1; }
	echo "$_u"
}

# remove_mdev UUID
remove_mdev() {
	sysfs_set "$MDEV_DEVICES/$1/remove" 1
}

# available GPU: available_instances of the four types, in size order.
available() {
	_a=
	for _d in "$CLASS/vgpu$1"/mdev_supported_types/vgpu-*; do
		_rdv _x "$_d/available_instances" || return 1
		_a="$_a${_a:+ }$_x"
	done
	echo "$_a"
}

# type_names GPU: the types of a GPU, smallest first ("1g.2gb 2g.4gb ...";
# the glob sorts them: the eighths are one digit).
type_names() {
	for _d in "$CLASS/vgpu$1"/mdev_supported_types/vgpu-*; do
		[ -e "$_d" ] && echo "${_d##*/vgpu-}"
	done
	true
}

# display_pci: the PCI address of the VM's display device (class 03xxxx).
display_pci() {
	for _d in /sys/bus/pci/devices/*; do
		_rdv _x "$_d/class" || return 1
		case $_x in
		0x03*) echo "${_d##*/}"; return 0 ;;
		esac
	done
	fail "no display-class PCI device in the VM (run.sh adds bochs-display)"
}

# ---- the kernel log ------------------------------------------------------------

# kmsg_mark: write a unique marker into the kernel log; prints it.
kmsg_mark() {
	_m="vgpu-test-mark-$(uuidgen)"
	echo "$_m" >/dev/kmsg
	echo "$_m"
}

# expect_kernel_quiet MARK WHAT: no kernel message at warning level or
# above (<0>..<4>) since MARK.
expect_kernel_quiet() {
	_l=$(dmesg -r | sed -n "/$1/,\$p" | sed 1d | grep -E '^<[0-4]>' || true)
	[ -z "$_l" ] && return 0
	printf '%s\n' "$_l" >&2
	fail "$2: the kernel logged: $(printf '%s' "$_l" | head -n1)"
}
