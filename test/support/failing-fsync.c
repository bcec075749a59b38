/*
 * Stands in for a failing disk, which cannot be had here: loaded with
 * LD_PRELOAD, it makes fsync() fail with EIO while the file named by
 * CUSTOS_TEST_FAIL_FSYNC exists, and passes every other call to libc.
 * For the journal's tests only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int fsync(int fd) {
  static int (*real_fsync)(int);
  const char *flag = getenv("CUSTOS_TEST_FAIL_FSYNC");
  if (flag != NULL && access(flag, F_OK) == 0) {
    errno = EIO;
    return -1;
  }
  if (real_fsync == NULL) real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  return real_fsync(fd);
}
