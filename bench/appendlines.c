// appendlines FILE SECONDS: opens FILE with O_APPEND (creating it if it does
// not exist) and appends 100-byte lines, one write(2) per line, for SECONDS.
// Line i is "%010d " + filler + "\n". Prints "<lines> <elapsed seconds>".
// A C loop so the writer, not an interpreter, is never the bottleneck.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kLine = 100 };

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Writes i as 10 zero-padded decimal digits and a space (i < 10^10).
static void PutIndex(char* p, long long i) {
  for (int d = 9; d >= 0; --d, i /= 10) p[d] = (char)('0' + i % 10);
  p[10] = ' ';
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s FILE SECONDS\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[2]);
  int fd = open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  char line[kLine + 1];
  memset(line, 'x', kLine);
  line[kLine - 1] = '\n';
  double start = Now(), end = start + seconds, now = start;
  long long i = 0;
  for (;; ++i) {
    if ((i & 63) == 0 && (now = Now()) >= end) break;
    PutIndex(line, i);
    ssize_t n = write(fd, line, kLine);
    if (n != kLine) {
      fprintf(stderr, "write line %lld: %s\n", i, n < 0 ? strerror(errno) : "short write");
      return 1;
    }
  }
  if (close(fd) != 0) {
    perror("close");
    return 1;
  }
  printf("%lld %.6f\n", i, now - start);
  return 0;
}
