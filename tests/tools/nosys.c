/*
 * nosys — run a command with openat2(2) refused, the way a sandbox can.
 *
 *   nosys EPERM|ENOSYS -- COMMAND [ARG...]
 *   nosys --probe
 *
 * Installs a seccomp-BPF filter that makes every openat2 call fail with the
 * given errno, then execs COMMAND, which keeps the filter (and so do its
 * threads and children). EPERM is what systemd's RestrictSUIDSGID= gives
 * (its filter inspects openat2's flags, which live in a struct it cannot
 * read, so it refuses the call whole); ENOSYS is a kernel or a filter that
 * does not know the system call. Every other system call is allowed.
 *
 * --probe calls openat2 once (RESOLVE_BENEATH on ".") and prints "ok" or the
 * error's strerror text: what openat2 does where the server would run, e.g.
 * under `nosys EPERM -- valgrind nosys --probe` (valgrind answers ENOSYS
 * itself for a system call it does not know).
 *
 * Exits 2 on a usage error, 1 when the filter cannot be installed or the
 * probe cannot print; otherwise the status is COMMAND's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

/* openat2 is 437 on every architecture (Linux 5.6 added it to the common table). */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#if defined(__x86_64__)
#define NOSYS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NOSYS_ARCH AUDIT_ARCH_AARCH64
#else
#error "nosys: add this architecture's AUDIT_ARCH_ value"
#endif

static int
usage(void)
{
	fprintf(stderr, "usage: nosys EPERM|ENOSYS -- COMMAND [ARG...]\n       nosys --probe\n");
	return 2;
}

static int
probe(void)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));

	if (fd >= 0) {
		close((int)fd);
		return puts("ok") == EOF;
	}
	return puts(strerror(errno)) == EOF;
}

/*
 * The filter: a system call from another architecture (or the x32 ABI, whose
 * numbers carry bit 30) is killed rather than let through unchecked;
 * openat2 gets the errno; everything else runs.
 */
static int
install_filter(unsigned int err)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOSYS_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(code) / sizeof(code[0])),
		.filter = code,
	};

	/* Without no_new_privs an unprivileged process may not add a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		fprintf(stderr, "nosys: prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
		return -1;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		fprintf(stderr, "nosys: seccomp(SECCOMP_SET_MODE_FILTER): %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int err;

	if (argc == 2 && strcmp(argv[1], "--probe") == 0)
		return probe();
	if (argc < 4 || strcmp(argv[2], "--") != 0)
		return usage();
	if (strcmp(argv[1], "EPERM") == 0)
		err = EPERM;
	else if (strcmp(argv[1], "ENOSYS") == 0)
		err = ENOSYS;
	else
		return usage();
	if (install_filter(err) != 0)
		return 1;
	execvp(argv[3], &argv[3]);
	fprintf(stderr, "nosys: %s: %s\n", argv[3], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
