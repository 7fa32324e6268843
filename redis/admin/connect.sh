# Sourced by the admin scripts: `cli ARGS...` runs redis-cli against Cutter's config store.
#   REDIS_HOST           default 127.0.0.1
#   REDIS_PORT           default 6379
#   REDIS_PASSWORD_FILE  default cutter-data/redis/redis.password in the repository: the password
#                        file of the embedded server run with the repository's config/cutter.conf
#   REDISCLI_AUTH        a password to use instead of the file's
redis_address="${REDIS_HOST:-127.0.0.1}:${REDIS_PORT:-6379}"
redis_args=(-h "${REDIS_HOST:-127.0.0.1}" -p "${REDIS_PORT:-6379}")
password_file=${REDIS_PASSWORD_FILE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/cutter-data/redis/redis.password}
# The password is read only when the server asks for one (NOAUTH): the default file may exist while
# the scripts talk to another Redis, and a Redis without a password refuses AUTH. It goes to
# redis-cli through REDISCLI_AUTH, as on its command line (-a) any local user could read it.
# redis-cli exits 0 even when refused, so a refusal is reported here, once, with what to do.
case "$(redis-cli "${redis_args[@]}" PING 2>&1)" in
  *NOAUTH*)
    if [ -n "${REDISCLI_AUTH:-}" ]; then
      echo "Redis at $redis_address refused the password in REDISCLI_AUTH" >&2
      exit 1
    fi
    if [ ! -r "$password_file" ]; then
      echo "Redis at $redis_address wants a password and $password_file cannot be read: set REDIS_PASSWORD_FILE to the redis.password in Cutter's redis_data_dir (or REDISCLI_AUTH to the password)" >&2
      exit 1
    fi
    read -r REDISCLI_AUTH <"$password_file" || true
    export REDISCLI_AUTH
    case "$(redis-cli "${redis_args[@]}" PING 2>&1)" in
      *PONG*) ;;
      *) echo "Redis at $redis_address refused the password in $password_file" >&2; exit 1 ;;
    esac
    ;;
esac
cli() { redis-cli "${redis_args[@]}" "$@"; }
