/* openloop: an open-loop HTTP load generator for Cutter's predict endpoint.
 *
 * wrk is closed-loop: each connection waits for its reply before sending again, so an overloaded
 * server slows the load down and hides its own queueing. This sends at a constant arrival rate
 * whatever the server does, and measures each request's latency from the moment it was meant to
 * be sent (so time spent waiting for a free connection counts, as it would for a real client).
 *
 * Replies are told apart by their body: a prediction, a default (`"default":true`), or a default
 * shed for load (its explanation starts "Shed for load").
 *
 * usage: openloop HOST PORT PATH RATE SECONDS [CONNECTIONS] [WARMUP_SECONDS]
 * prints: RESULT offered=... predictions_per_s=... defaults_per_s=... shed_per_s=... p50_ms=...
 *         p99_ms=... p999_ms=... p9999_ms=... shed_p99_ms=... errors=... unanswered=...
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum kind { PREDICTION, DEFAULT, SHED };

struct connection {
    struct bufferevent *bev;
    int busy;
    uint64_t intended; /* intended send time of the request in flight (ns) */
    int measured;      /* whether it counts (sent after the warm-up) */
    struct connection *next_idle;
};

static struct event_base *base;
static struct sockaddr_in address;
static const char *host, *path;
static double rate;
static uint64_t start, warmup_end, end;
static int max_connections, open_connections;
static struct connection *idle;
static uint64_t sent, due_backlog; /* requests sent; requests due but waiting for a connection */
static uint64_t *latencies[3];
static size_t counts[3], capacities[3];
static uint64_t errors, in_flight_measured;
static uint64_t input_counter;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void record(enum kind kind, uint64_t latency) {
    if (counts[kind] == capacities[kind]) {
        capacities[kind] = capacities[kind] ? capacities[kind] * 2 : 65536;
        latencies[kind] = realloc(latencies[kind], capacities[kind] * sizeof(uint64_t));
        if (!latencies[kind]) { perror("realloc"); exit(1); }
    }
    latencies[kind][counts[kind]++] = latency;
}

static void send_request(struct connection *c, uint64_t intended) {
    char body[160], request[512];
    /* Distinct inputs: no query is a cache hit. */
    int body_length = snprintf(body, sizeof body, "{\"input\": [%llu.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]}",
                               (unsigned long long)++input_counter);
    int length = snprintf(request, sizeof request,
                          "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                          path, host, body_length, body);
    c->busy = 1;
    c->intended = intended;
    c->measured = intended >= warmup_end;
    if (c->measured) in_flight_measured++;
    bufferevent_write(c->bev, request, (size_t)length);
}

static void connection_free(struct connection *c) {
    bufferevent_free(c->bev);
    free(c);
    open_connections--;
}

/* Parses whole replies out of the input buffer; returns 0 when one is incomplete. */
static int read_reply(struct connection *c) {
    struct evbuffer *input = bufferevent_get_input(c->bev);
    struct evbuffer_ptr header_end = evbuffer_search(input, "\r\n\r\n", 4, NULL);
    if (header_end.pos < 0) return 0;
    size_t header_length = (size_t)header_end.pos + 4;
    char *headers = malloc(header_length + 1);
    evbuffer_copyout(input, headers, header_length);
    headers[header_length] = 0;
    long content_length = 0;
    for (char *line = headers; line; line = strstr(line, "\r\n")) {
        if (line[0] == '\r') line += 2;
        if (strncasecmp(line, "Content-Length:", 15) == 0) { content_length = strtol(line + 15, NULL, 10); break; }
    }
    int ok = strncmp(headers, "HTTP/1.1 200", 12) == 0;
    free(headers);
    if (evbuffer_get_length(input) < header_length + (size_t)content_length) return 0;
    evbuffer_drain(input, header_length);
    char *body = malloc((size_t)content_length + 1);
    evbuffer_remove(input, body, (size_t)content_length);
    body[content_length] = 0;
    uint64_t latency = now_ns() - c->intended;
    if (c->measured) {
        in_flight_measured--;
        if (!ok) errors++;
        else if (strstr(body, "Shed for load")) record(SHED, latency);
        else if (strstr(body, "\"default\":true")) record(DEFAULT, latency);
        else record(PREDICTION, latency);
    }
    free(body);
    c->busy = 0;
    return 1;
}

static void on_read(struct bufferevent *bev, void *arg) {
    (void)bev;
    struct connection *c = arg;
    while (c->busy && read_reply(c)) {
        c->next_idle = idle;
        idle = c;
    }
}

static void on_event(struct bufferevent *bev, short events, void *arg) {
    (void)bev;
    struct connection *c = arg;
    if (events & BEV_EVENT_CONNECTED) {
        c->next_idle = idle;
        idle = c;
        return;
    }
    if (events & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
        if (c->busy && c->measured) { errors++; in_flight_measured--; }
        /* Drop it from the idle list if it is there. */
        for (struct connection **p = &idle; *p; p = &(*p)->next_idle) {
            if (*p == c) { *p = c->next_idle; break; }
        }
        connection_free(c);
    }
}

static void open_connection(void) {
    struct connection *c = calloc(1, sizeof *c);
    c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&address, sizeof address) < 0) {
        bufferevent_free(c->bev);
        free(c);
        errors++;
        return;
    }
    open_connections++;
}

/* Every 100 µs: send every request whose intended time has come, oldest first. */
static void on_tick(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what; (void)arg;
    uint64_t now = now_ns();
    if (now >= end) {
        /* Give the last replies a second, then stop. */
        static uint64_t drain_until;
        if (!drain_until) drain_until = now + 1000000000ull;
        if (in_flight_measured == 0 || now >= drain_until) event_base_loopbreak(base);
        return;
    }
    uint64_t due = (uint64_t)((double)(now - start) * rate / 1e9);
    while (sent < due) {
        if (!idle) {
            if (open_connections < max_connections) open_connection();
            break; /* the rest wait for a connection: their latency keeps counting */
        }
        struct connection *c = idle;
        idle = c->next_idle;
        uint64_t intended = start + (uint64_t)((double)sent * 1e9 / rate);
        send_request(c, intended);
        sent++;
    }
    due_backlog = due - sent;
}

static void on_settled(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what;
    event_base_loopbreak(arg);
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile(uint64_t *values, size_t count, double p) {
    if (count == 0) return 0;
    size_t index = (size_t)(p * (double)(count - 1) + 0.5);
    return (double)values[index] / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST PORT PATH RATE SECONDS [CONNECTIONS] [WARMUP_SECONDS]\n", argv[0]);
        return 2;
    }
    host = argv[1];
    path = argv[3];
    rate = atof(argv[4]);
    double seconds = atof(argv[5]);
    max_connections = argc > 6 ? atoi(argv[6]) : 1000;
    double warmup = argc > 7 ? atof(argv[7]) : 1;
    struct rlimit limit = {(rlim_t)max_connections + 64, (rlim_t)max_connections + 64};
    setrlimit(RLIMIT_NOFILE, &limit);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) { fprintf(stderr, "HOST must be an IPv4 address\n"); return 2; }

    /* Sub-millisecond timers: without it epoll's millisecond timeout makes the 100 µs tick a 1 ms one. */
    struct event_config *config = event_config_new();
    event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
    base = event_base_new_with_config(config);
    event_config_free(config);
    /* Open a first set of connections before the clock starts. */
    for (int i = 0; i < max_connections / 4; i++) open_connection();
    struct event *settle = evtimer_new(base, on_settled, base);
    struct timeval half = {0, 500000};
    evtimer_add(settle, &half);
    event_base_dispatch(base);

    start = now_ns();
    warmup_end = start + (uint64_t)(warmup * 1e9);
    end = warmup_end + (uint64_t)(seconds * 1e9);
    struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval every = {0, 100};
    event_add(tick, &every);
    event_base_dispatch(base);

    for (int k = 0; k < 3; k++) qsort(latencies[k], counts[k], sizeof(uint64_t), compare);
    /* All answers together, for the percentiles of what clients saw. */
    size_t total = counts[0] + counts[1] + counts[2];
    uint64_t *all = malloc((total + 1) * sizeof(uint64_t));
    size_t n = 0;
    for (int k = 0; k < 3; k++) { memcpy(all + n, latencies[k], counts[k] * sizeof(uint64_t)); n += counts[k]; }
    qsort(all, total, sizeof(uint64_t), compare);
    printf("RESULT offered=%.0f predictions_per_s=%.0f defaults_per_s=%.0f shed_per_s=%.0f p50_ms=%.3f p99_ms=%.3f "
           "p999_ms=%.3f p9999_ms=%.3f shed_p99_ms=%.3f errors=%llu unanswered=%llu\n",
           rate, counts[PREDICTION] / seconds, (counts[DEFAULT] + counts[SHED]) / seconds, counts[SHED] / seconds,
           percentile(all, total, 0.50), percentile(all, total, 0.99), percentile(all, total, 0.999),
           percentile(all, total, 0.9999), percentile(latencies[SHED], counts[SHED], 0.99),
           (unsigned long long)errors, (unsigned long long)(in_flight_measured + due_backlog));
    return 0;
}
