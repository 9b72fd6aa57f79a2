// genloglines BYTES OUT [SEED]: writes about BYTES of log lines of the kind
// topics carry to OUT (whole lines; the last one stops before BYTES is
// passed). Used by codec_bench.py, which compiles it with cc.
//
// The mix, from a seeded xorshift generator so that a run is repeatable:
//   - application lines: an ISO-8601 timestamp (milliseconds, increasing
//     by a few ms a line), a level (INFO 70%, DEBUG 17%, WARN 9%, ERROR
//     4%), a thread and a logger from small pools, a message from ~20
//     templates with numbers (order ids, customers, amounts, durations);
//   - HTTP access lines: client address, method, path with ids, status,
//     size, user agent from a pool, latency;
//   - a 16-hex-digit request id on about a third of the lines, and an
//     exception name on errors.
// Repeated words with varying numbers and ids: what makes real logs
// compress well, but not to nothing. Nothing here is tuned to a codec.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long state = 88172645463325252ull;

static unsigned long long Next(void) {  // xorshift64
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
static unsigned Below(unsigned n) { return (unsigned)(Next() % n); }
static const char* Pick(const char* const* pool, unsigned n) { return pool[Below(n)]; }
#define PICK(pool) Pick(pool, sizeof(pool) / sizeof(pool[0]))

static const char* const kThreads[] = {
    "http-nio-8080-exec-1", "http-nio-8080-exec-2", "http-nio-8080-exec-3", "http-nio-8080-exec-4",
    "http-nio-8080-exec-5", "http-nio-8080-exec-6", "http-nio-8080-exec-7", "http-nio-8080-exec-8",
    "scheduler-1", "scheduler-2", "kafka-producer-network-thread | producer-1", "main",
    "pool-3-thread-1", "pool-3-thread-2", "ForkJoinPool.commonPool-worker-3", "grpc-default-executor-0"};
static const char* const kLoggers[] = {
    "c.e.orders.OrderService", "c.e.orders.OrderController", "c.e.payments.PaymentClient",
    "c.e.inventory.StockService", "c.e.shipping.ShipmentScheduler", "c.e.auth.TokenFilter",
    "c.e.db.ConnectionPool", "o.a.k.clients.NetworkClient", "o.h.engine.jdbc.spi.SqlExceptionHelper",
    "c.e.cache.RedisCache", "c.e.notify.EmailSender", "o.s.web.servlet.DispatcherServlet"};
static const char* const kUsers[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
                                     "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert"};
static const char* const kCities[] = {"Berlin", "Paris", "Madrid", "Lisbon", "Vienna", "Warsaw", "Oslo",
                                      "Dublin", "Prague", "Zurich"};
static const char* const kAgents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "okhttp/4.12.0", "curl/7.88.1", "python-requests/2.28.1", "kube-probe/1.28"};
static const char* const kPaths[] = {"/api/v1/orders/%u", "/api/v1/orders/%u/items", "/api/v1/customers/%u",
                                     "/api/v1/cart/%u", "/api/v1/products/%u", "/health", "/metrics",
                                     "/api/v1/payments/%u/status", "/static/app.%u.js"};
static const char* const kMethods[] = {"GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"};
static const unsigned kStatus[] = {200, 200, 200, 200, 200, 200, 201, 204, 304, 400, 401, 404, 404, 500, 503};
static const char* const kExceptions[] = {
    "java.net.SocketTimeoutException: Read timed out",
    "java.lang.IllegalStateException: order already shipped",
    "org.postgresql.util.PSQLException: ERROR: deadlock detected",
    "java.util.concurrent.TimeoutException: no response in 5000 ms",
    "java.lang.NullPointerException: Cannot invoke \"Customer.getAddress()\" because \"c\" is null"};

// The message of an application line, after "logger - ".
static int Message(char* p, size_t n) {
  unsigned order = 1000000 + Below(900000), customer = 10000 + Below(90000);
  switch (Below(20)) {
    case 0: return snprintf(p, n, "Order %u created for customer %u (%u items, total %u.%02u EUR)", order,
                            customer, 1 + Below(9), Below(500), Below(100));
    case 1: return snprintf(p, n, "Order %u paid with card ending %04u", order, Below(10000));
    case 2: return snprintf(p, n, "Order %u shipped from warehouse %s to %s", order, PICK(kCities), PICK(kCities));
    case 3: return snprintf(p, n, "Reserved %u units of product %u for order %u", 1 + Below(5), Below(50000), order);
    case 4: return snprintf(p, n, "User %s logged in from 10.%u.%u.%u", PICK(kUsers), Below(4), Below(256), Below(256));
    case 5: return snprintf(p, n, "Token refreshed for user %s, expires in %u s", PICK(kUsers), 300 + Below(3300));
    case 6: return snprintf(p, n, "Acquired connection conn-%u from pool in %u.%u ms (active=%u, idle=%u)",
                            Below(32), Below(5), Below(10), Below(32), Below(16));
    case 7: return snprintf(p, n, "Cache hit for key product:%u", Below(50000));
    case 8: return snprintf(p, n, "Cache miss for key customer:%u, loading from database", customer);
    case 9: return snprintf(p, n, "Sent confirmation email to customer %u for order %u", customer, order);
    case 10: return snprintf(p, n, "Completed request in %u ms", Below(800));
    case 11: return snprintf(p, n, "Scheduled shipment %u for %s, carrier DHL, %u parcels", order, PICK(kCities),
                             1 + Below(3));
    case 12: return snprintf(p, n, "Stock level of product %u below threshold: %u left", Below(50000), Below(10));
    case 13: return snprintf(p, n, "Retrying payment for order %u (attempt %u of 3)", order, 1 + Below(3));
    case 14: return snprintf(p, n, "Connection to node %u (broker-%u/10.0.1.%u:9092) could not be established. "
                             "Node may not be available.", Below(3), Below(3), 10 + Below(3));
    case 15: return snprintf(p, n, "Executing query select * from orders where customer_id=%u limit 50", customer);
    case 16: return snprintf(p, n, "Price for product %u updated from %u.%02u to %u.%02u", Below(50000),
                             Below(200), Below(100), Below(200), Below(100));
    case 17: return snprintf(p, n, "Cart %u of customer %u abandoned after %u min", order, customer, Below(120));
    case 18: return snprintf(p, n, "Health check ok (db=%u ms, cache=%u ms, broker=%u ms)", Below(20), Below(5),
                             Below(30));
    default: return snprintf(p, n, "Invoice %u generated for order %u", order + 7, order);
  }
}

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s BYTES OUT [SEED]\n", argv[0]);
    return 2;
  }
  long long target = atoll(argv[1]);
  if (argc == 4) state ^= strtoull(argv[3], NULL, 10) * 0x9E3779B97F4A7C15ull;
  FILE* out = fopen(argv[2], "w");
  if (out == NULL) {
    perror(argv[2]);
    return 1;
  }
  static char buf[1 << 20];
  size_t used = 0;
  long long written = 0;
  long long ms = 1764064800000LL;  // 2025-11-25T10:00:00Z
  char line[1024];
  for (;;) {
    ms += Below(7);
    long long s = ms / 1000;
    int msec = (int)(ms % 1000), sec = (int)(s % 60), min = (int)(s / 60 % 60), hour = (int)(s / 3600 % 24);
    int day = 25 + (int)((s - 1764028800LL) / 86400);  // days past 2025-11-25 (it will not reach a month's end)
    int len;
    unsigned level = Below(100);
    const char* lv = level < 70 ? "INFO " : level < 87 ? "DEBUG" : level < 96 ? "WARN " : "ERROR";
    if (Below(4) == 0) {
      unsigned status = kStatus[Below(sizeof(kStatus) / sizeof(kStatus[0]))];
      char path[96];
      snprintf(path, sizeof(path), PICK(kPaths), Below(2000000));
      len = snprintf(line, sizeof(line),
                     "10.%u.%u.%u - - [%02d/Nov/2025:%02d:%02d:%02d +0000] \"%s %s HTTP/1.1\" %u %u \"-\" \"%s\" "
                     "%u.%03u\n",
                     Below(4), Below(256), Below(256), day, hour, min, sec, PICK(kMethods), path, status,
                     status == 204 || status == 304 ? 0 : 200 + Below(20000), PICK(kAgents), Below(2), Below(1000));
    } else {
      len = snprintf(line, sizeof(line), "2025-11-%02dT%02d:%02d:%02d.%03dZ %s [%s] %s - ", day, hour, min, sec, msec,
                     lv, PICK(kThreads), PICK(kLoggers));
      len += Message(line + len, sizeof(line) - (size_t)len - 200);
      if (Below(3) == 0) {
        len += snprintf(line + len, sizeof(line) - (size_t)len, " [request-id=%016llx]", Next());
      }
      if (lv[0] == 'E') {
        len += snprintf(line + len, sizeof(line) - (size_t)len, ": %s", PICK(kExceptions));
      }
      line[len++] = '\n';
    }
    if (written + len > target) break;
    if (used + (size_t)len > sizeof(buf)) {
      if (fwrite(buf, 1, used, out) != used) {
        perror("fwrite");
        return 1;
      }
      used = 0;
    }
    memcpy(buf + used, line, (size_t)len);
    used += (size_t)len;
    written += len;
  }
  if (fwrite(buf, 1, used, out) != used || fclose(out) != 0) {
    perror(argv[2]);
    return 1;
  }
  return 0;
}
