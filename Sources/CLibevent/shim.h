/* libevent for Swift: the event loop, evhttp and bufferevents. */
#include <sys/types.h>   /* first: libevent's config defines _GNU_SOURCE, which must not change fd_set */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
