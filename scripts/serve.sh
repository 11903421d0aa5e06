#!/usr/bin/env bash
# Starts the platform on http://127.0.0.1:$PORT/ with everything it needs; Ctrl-C (or SIGTERM) stops it all.
#   scripts/serve.sh run   `make run`: the product as a newcomer sees it —
#       DEBUG off (our Chinese error pages, never Django's technical page), a local secret generated once in
#       var/secret_key (mode 600), ALLOWED_HOSTS for localhost, KC_LOCAL_HTTP=1 (plain HTTP on loopback: no
#       HTTPS redirect, no Secure-only cookies); static files collected into STATIC_ROOT and served by the app
#       (WhiteNoise); gunicorn with $WORKERS workers. SECRET_KEY / ALLOWED_HOSTS from the environment still win.
#   scripts/serve.sh dev   `make dev`: DEBUG on, runserver with auto-reload.
# Both: migrate, the demo district (idempotent), one line per step (full output in var/log/), and the
# background worker `manage.py db_worker` when the project has that command. Each server runs in its own
# process group; when one of them ends, or on Ctrl-C, every group is stopped.
set -euo pipefail
mode=${1:-run}
case "$mode" in run|dev) ;; *) echo "usage: $0 run|dev" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
WORKERS=${WORKERS:-2}
step=scripts/step.sh
port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

if port_answers; then
  echo "端口 $PORT 已被占用（另一个 make run？）。换一个端口：PORT=9000 make $mode" >&2
  exit 1
fi

mkdir -p var
if [ "$mode" = run ]; then
  if [ ! -s var/secret_key ]; then
    (umask 077 && "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key.tmp)
    mv var/secret_key.tmp var/secret_key
  fi
  chmod 600 var/secret_key
  SECRET_KEY=${SECRET_KEY:-$(cat var/secret_key)}
  export SECRET_KEY DEBUG=0 KC_LOCAL_HTTP=1 ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
else
  export DEBUG=1
fi

$step "更新数据库结构…" migrate "$PY" manage.py migrate --noinput
$step "准备演示数据（首次约一分钟）…" seed_demo "$PY" manage.py seed_demo
if [ "$mode" = run ]; then
  # WhiteNoise compresses every file again on each collectstatic: skip it when neither static/ nor the
  # installed packages (their own static files) changed since the last one.
  stamp=${STATIC_ROOT:-${VAR_DIR:-var}/staticfiles}/.collected  # STATIC_ROOT's default in settings.py
  if [ ! -e "$stamp" ] || [ -n "$(find static .venv/.installed -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    $step "收集静态文件…" collectstatic "$PY" manage.py collectstatic --noinput
    touch "$stamp"
  fi
fi
sed -n '/演示数据已就绪/,$p' var/log/seed_demo.log

set -m  # every background job in its own process group (gunicorn's or runserver's children included)
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "控辍保学平台已停止。"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$mode" = run ]; then
  # --max-requests: WeasyPrint grows a long-lived process (PITFALLS), so workers are renewed now and then.
  "$(dirname "$PY")/gunicorn" kongchuo.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" --timeout 120 \
    --max-requests 500 --max-requests-jitter 50 --log-level warning </dev/null &
else
  "$PY" manage.py runserver "127.0.0.1:$PORT" </dev/null &
fi
pids+=($!)
worker=""
if "$PY" manage.py help db_worker >/dev/null 2>&1; then
  "$PY" manage.py db_worker </dev/null &
  pids+=($!)
  worker="  后台任务进程已启动。"
fi

for _ in $(seq 1 120); do
  if port_answers; then
    echo "控辍保学平台已启动：http://127.0.0.1:$PORT/${worker}  按 Ctrl-C 停止。"
    break
  fi
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.5
done

# Whichever process ends first ends the rest (EXIT trap); Ctrl-C ends all of them.
set +e
wait -n "${pids[@]}"
exit $?
