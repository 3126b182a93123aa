/*
 * qemu-binfmt's deep probe (qemu-binfmt test --deep): calls the system calls that current
 * userlands need, each directly (no C library fallback in between), and prints one line per
 * call: "<call> ok" or "<call> <errno name>". It always exits 0 when it gets to the end: the
 * CLI judges the lines. Built for each platform by scripts/build-deep-probes.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *call, const char *result) {
  char line[64];
  size_t n = strlen(call), m = strlen(result);
  memcpy(line, call, n);
  line[n] = ' ';
  memcpy(line + n + 1, result, m);
  line[n + 1 + m] = '\n';
  (void)!write(1, line, n + m + 2);
}

static const char *errname(int e) {
  switch (e) {
  case ENOSYS: return "ENOSYS";
  case EINVAL: return "EINVAL";
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case ENOENT: return "ENOENT";
  case EFAULT: return "EFAULT";
  case E2BIG: return "E2BIG";
  case EAGAIN: return "EAGAIN";
  default: return "EOTHER";
  }
}

static void result(const char *call, long r) { say(call, r < 0 ? errname(errno) : "ok"); }

static void *thread_main(void *arg) { return arg; }

int main(void) {
  struct open_how how = {.flags = O_RDONLY | O_DIRECTORY, .resolve = RESOLVE_NO_SYMLINKS};
  result("openat2", syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how));

  struct statx st;
  result("statx", syscall(SYS_statx, AT_FDCWD, "/", 0, STATX_BASIC_STATS, &st));

  /* clone3 with no arguments: a kernel that has it refuses the size (EINVAL); one without, ENOSYS. */
  long r = syscall(SYS_clone3, (void *)0, 0);
  say("clone3", r < 0 && errno == EINVAL ? "ok" : r < 0 ? errname(errno) : "EOTHER");

  /* A thread, started as the C library starts one (clone3, or clone when clone3 is missing). */
  pthread_t t;
  int e = pthread_create(&t, 0, thread_main, 0);
  if (e == 0) e = pthread_join(t, 0);
  say("thread", e == 0 ? "ok" : errname(e));

  char random[16];
  result("getrandom", syscall(SYS_getrandom, random, sizeof random, 0));

  result("faccessat2", syscall(SYS_faccessat2, AT_FDCWD, "/", R_OK, AT_EACCESS));
  return 0;
}
