#!/usr/bin/env bash
# End-to-end: rnnstep in a real terminal under tmux. Complete a command with Tab, step, print,
# interrupt a long gradient check with Ctrl-C, leave with Ctrl-D, start again and find the
# history there. Run by `make test`; needs tmux (make deps installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."

binary=${RNNSTEP_BINARY:-.build/debug/rnnstep}
work=$(mktemp -d)
socket="rnnstep-e2e-$$"
export RNNSTEP_HISTORY="$work/history"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; sleep 0.2; rm -rf "$work" 2>/dev/null || true' EXIT

start() {
  tmux -L "$socket" new-session -d -s repl -x 160 -y 50 "env RNNSTEP_HISTORY='$RNNSTEP_HISTORY' NO_COLOR=1 $binary; sleep 30"
}
screen() { tmux -L "$socket" capture-pane -p -S - -t repl; }
keys() { tmux -L "$socket" send-keys -t repl "$@"; }
# wait_for TEXT [SECONDS]: poll the screen until TEXT appears.
wait_for() {
  local deadline=$((SECONDS + ${2:-20}))
  until screen | grep -qF -- "$1"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "e2e: FAIL: did not see '$1'; the screen was:" >&2
      screen >&2
      exit 1
    fi
    sleep 0.1
  done
}
passed=0
check() {
  passed=$((passed + 1))
  echo "e2e: ok: $1"
}

start
wait_for "(rnnstep)"
check "the REPL opens on the built-in model"

keys "ste" Tab Enter
wait_for "forward t=1/4  a"
check "Tab completes 'ste' to step; step shows the first equation"

keys "step" Enter
wait_for "forward t=1/4  h"
keys "print h" Enter
wait_for "h = ["
check "print shows h at the cursor"

# Whatever the locale, characters beyond ASCII typed at the prompt arrive as typed.
keys "print 1 − h[1]²" Enter
wait_for "1 − h[1]² = ["
check "− and ² typed at the prompt arrive, and read as minus and square"

keys "half-typed text" C-c
keys "echo line-survived-ctrl-c" Enter
wait_for "line-survived-ctrl-c"
if screen | grep -q "half-typed textecho"; then echo "e2e: FAIL: Ctrl-C did not clear the line" >&2; exit 1; fi
check "Ctrl-C clears the line being typed"

keys "echo alpha-one" Enter
wait_for "alpha-one"
keys "echo beta-two" Enter
wait_for "beta-two"
keys C-r "alph"
wait_for "bck:alph"
keys Enter
for _ in $(seq 1 50); do
  [ "$(screen | grep -c '^alpha-one$')" -ge 2 ] && break
  sleep 0.1
done
[ "$(screen | grep -c '^alpha-one$')" -ge 2 ] || { echo "e2e: FAIL: Ctrl-R did not find and run the earlier line" >&2; screen >&2; exit 1; }
check "Ctrl-R searches the history"

steps=$(python3 -c "print(' '.join(str(i % 40) for i in range(30)))")
keys "new 80 input 40 output 40 seed 1; inputs $steps; targets $steps" Enter
wait_for "targets: 30 steps"
keys "gradcheck" Enter
sleep 1.5
keys C-c
wait_for "interrupted:"
keys "print Whh[0,0] * 0 + 42" Enter
wait_for "Whh[0,0] * 0 + 42 = 42"
check "Ctrl-C stops a long gradcheck and the session goes on"

keys "example sine; train 1000000" Enter
wait_for "s left"
keys C-c
wait_for "interrupted after"
keys "last; print loss > 0" Enter
wait_for "loss > 0 = 1"
check "train shows progress on a terminal, and Ctrl-C stops it after the current update"

keys C-d
for _ in $(seq 1 100); do
  pgrep -f "^$binary\$" >/dev/null || break
  sleep 0.1
done
grep -q "print" "$RNNSTEP_HISTORY" || { echo "e2e: FAIL: no history file after Ctrl-D" >&2; exit 1; }
check "Ctrl-D leaves and the history is saved"

# A new session, on a new tmux server (restarting one on the same socket races its shutdown).
tmux -L "$socket" kill-server 2>/dev/null || true
socket="$socket-again"
start
wait_for "(rnnstep)"
keys Up
wait_for "(rnnstep) last; print loss > 0"
check "a new session finds the history (Up recalls the last command)"

# Two sessions at once, on one history file: each keeps its lines (histappend), whichever ends last.
tmux -L "$socket" new-window -t repl -n second "env RNNSTEP_HISTORY='$RNNSTEP_HISTORY' NO_COLOR=1 $binary; sleep 30"
keys C-u "echo from-the-first" Enter
wait_for "from-the-first"
tmux -L "$socket" send-keys -t repl:second "echo from-the-second" Enter
sleep 0.5
tmux -L "$socket" send-keys -t repl:second "quit" Enter
sleep 0.5
keys "quit" Enter
for _ in $(seq 1 100); do
  pgrep -f "^$binary\$" >/dev/null || break
  sleep 0.1
done
grep -q "from-the-first" "$RNNSTEP_HISTORY" && grep -q "from-the-second" "$RNNSTEP_HISTORY" \
  || { echo "e2e: FAIL: two sessions on one history file lost a line:" >&2; cat "$RNNSTEP_HISTORY" >&2; exit 1; }
grep -q "loss" "$RNNSTEP_HISTORY" || { echo "e2e: FAIL: the earlier sessions' lines were lost" >&2; exit 1; }
check "two sessions sharing a history file keep both their lines"

# A terminal closed under a session (SIGHUP, no quit): its lines were saved as they ran, and no
# temporary file is left beside the history.
tmux -L "$socket" new-window -t repl -n third "env RNNSTEP_HISTORY='$RNNSTEP_HISTORY' NO_COLOR=1 $binary"
sleep 1
tmux -L "$socket" send-keys -t repl:third "echo from-the-closed-one" Enter
sleep 0.5
tmux -L "$socket" kill-window -t repl:third
sleep 0.5
grep -q "from-the-closed-one" "$RNNSTEP_HISTORY" \
  || { echo "e2e: FAIL: a closed terminal's session lost its history" >&2; exit 1; }
if ls "$RNNSTEP_HISTORY".tmp-* >/dev/null 2>&1; then
  echo "e2e: FAIL: a temporary history file was left behind" >&2
  exit 1
fi
check "a session whose terminal closed keeps its lines, with no temporary file left"

# Ctrl-Z, then fg from a shell: the line editor is back in its own mode (Tab completes, the
# terminal does not echo it), with a fresh prompt.
tmux -L "$socket" kill-server 2>/dev/null || true
socket="$socket-shell"
tmux -L "$socket" new-session -d -s repl -x 160 -y 50 "env PS1='shell$ ' bash --norc --noprofile"
wait_for "shell$"
keys "env RNNSTEP_HISTORY='$RNNSTEP_HISTORY' NO_COLOR=1 $binary" Enter
wait_for "(rnnstep)"
keys C-z
wait_for "Stopped"
keys "fg" Enter
sleep 1
keys "reset" Enter
wait_for "at the start, before forward t=1"
keys "ste" Tab
sleep 0.5
keys Enter
wait_for "forward t=1/4  a"
screen | grep -q "ste[[:space:]]\+p$" && { echo "e2e: FAIL: after fg the terminal echoed a raw Tab:" >&2; screen >&2; exit 1; }
check "after Ctrl-Z and fg the line editor is back: Tab completes"
keys "quit" Enter
echo "e2e: $passed passed, 0 failed"
