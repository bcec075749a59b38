/*
 * OpenSSL's own EVP_BytesToKey(AES-256-CBC, MD5, salt, password, count), the
 * derivation sc-hsm-tool runs for every DKEK share file: the reference the
 * share-file benchmark times and the unit tests compare against.
 * Usage: evp-bytes-to-key <password hex> <salt hex, 16 digits> <count>
 * Prints key || IV in hex, then the seconds the derivation took: wall clock, then
 * this process's CPU time (which a busy machine does not inflate).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int from_hex(const char *hex, unsigned char *out, size_t max) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > max) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned int byte;
    if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return -1;
    out[i] = (unsigned char)byte;
  }
  return (int)(n / 2);
}

int main(int argc, char **argv) {
  unsigned char password[1024], salt[8], key[32], iv[16];
  if (argc != 4) return 2;
  int password_len = from_hex(argv[1], password, sizeof password);
  if (password_len < 0 || from_hex(argv[2], salt, sizeof salt) != 8) return 2;
  int count = atoi(argv[3]);
  struct timespec start, end, cpu_start, cpu_end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_start);
  if (EVP_BytesToKey(EVP_aes_256_cbc(), EVP_md5(), salt, password, password_len, count, key, iv) != 32) return 1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_end);
  clock_gettime(CLOCK_MONOTONIC, &end);
  for (int i = 0; i < 32; i++) printf("%02x", key[i]);
  for (int i = 0; i < 16; i++) printf("%02x", iv[i]);
  printf(" %.3f %.3f\n", (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9,
         (double)(cpu_end.tv_sec - cpu_start.tv_sec) + (double)(cpu_end.tv_nsec - cpu_start.tv_nsec) / 1e9);
  return 0;
}
