/* The frontend's physical limit on this machine: a plain libevent evhttp server that answers
 * every request with a fixed predict reply, doing no JSON, no cache and no RPC. Cutter's
 * figures are reported as ratios to this one, measured in the same run. */
#include <sys/types.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char body[] = "{\"query_id\":0,\"output\":6.0,\"default\":false}";

static void on_request(struct evhttp_request *request, void *arg) {
    (void)arg;
    struct evbuffer *input = evhttp_request_get_input_buffer(request);
    evbuffer_drain(input, evbuffer_get_length(input));
    evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type", "application/json");
    evbuffer_add(evhttp_request_get_output_buffer(request), body, sizeof body - 1);
    evhttp_send_reply(request, 200, "OK", NULL);
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 18080;
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)port) != 0) {
        fprintf(stderr, "cannot bind 127.0.0.1:%d\n", port);
        return 1;
    }
    evhttp_set_gencb(http, on_request, NULL);
    event_base_dispatch(base);
    return 0;
}
