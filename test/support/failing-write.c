/*
 * Stands in for a disk that fails to write, which cannot be had here:
 * loaded with LD_PRELOAD, it makes write() on a file named journal.jsonl fail
 * with EIO while the file named by CUSTOS_TEST_FAIL_WRITE exists, and passes
 * every other call to libc. For the journal's tests only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int failing(int fd) {
  const char *flag = getenv("CUSTOS_TEST_FAIL_WRITE");
  if (flag == NULL || access(flag, F_OK) != 0) return 0;
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  size_t len = (size_t)n, suffix = strlen("/journal.jsonl");
  return len >= suffix && strcmp(target + len - suffix, "/journal.jsonl") == 0;
}

ssize_t write(int fd, const void *buf, size_t count) {
  static ssize_t (*real_write)(int, const void *, size_t);
  if (failing(fd)) { errno = EIO; return -1; }
  if (real_write == NULL) real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  return real_write(fd, buf, count);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  static ssize_t (*real_writev)(int, const struct iovec *, int);
  if (failing(fd)) { errno = EIO; return -1; }
  if (real_writev == NULL) real_writev = (ssize_t (*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
  return real_writev(fd, iov, iovcnt);
}
