// genlines BYTES OUT: writes floor(BYTES / 100) lines of exactly 100 bytes to
// OUT. Line i is "%010d " + 88 letters + "\n", so a reader can check order
// and completeness from the first field. Used by fs_bench.py.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kLine = 100, kBatch = 10000 };

// Writes i as 10 zero-padded decimal digits and a space (i < 10^10).
static void PutIndex(char* p, long long i) {
  for (int d = 9; d >= 0; --d, i /= 10) p[d] = (char)('0' + i % 10);
  p[10] = ' ';
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s BYTES OUT\n", argv[0]);
    return 2;
  }
  long long lines = atoll(argv[1]) / kLine;
  FILE* out = fopen(argv[2], "w");
  if (out == NULL) {
    perror(argv[2]);
    return 1;
  }
  static char buf[kLine * kBatch];
  unsigned x = 2463534242u;  // xorshift32: filler that does not compress to nothing
  for (long long i = 0; i < lines;) {
    size_t used = 0;
    for (int k = 0; k < kBatch && i < lines; ++k, ++i) {
      char* line = buf + used;
      PutIndex(line, i);
      for (int j = 11; j < kLine - 1; ++j) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        line[j] = (char)('a' + x % 26);
      }
      line[kLine - 1] = '\n';
      used += kLine;
    }
    if (fwrite(buf, 1, used, out) != used) {
      perror("fwrite");
      return 1;
    }
  }
  if (fclose(out) != 0) {
    perror("fclose");
    return 1;
  }
  return 0;
}
