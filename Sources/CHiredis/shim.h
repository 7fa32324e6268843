/* hiredis for Swift: the async API and its libevent adapter (header-only). */
#include <sys/types.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
