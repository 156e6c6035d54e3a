#!/usr/bin/env bash
# The scripting contract: rnnstep FILE, -c, and commands on standard input; exit statuses;
# no prompt and no colour when output is not a terminal. Run by `make test`.
set -uo pipefail
cd "$(dirname "$0")/../.."
binary=${RNNSTEP_BINARY:-.build/debug/rnnstep}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
expect() {  # expect NAME CONDITION...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "scripts: ok: $name"
  else
    failed=$((failed + 1))
    echo "scripts: FAIL: $name" >&2
  fi
}

out=$(printf 'step\nprint h0\n' | "$binary" 2>&1)
status=$?
expect "commands on stdin run with no prompt" test "$status" -eq 0
expect "stdin output has no prompt" bash -c "! grep -q '(rnnstep)' <<<\"\$1\"" _ "$out"
expect "stdin output is the commands' output" grep -q "h0 = \[0, 0, 0\]" <<<"$out"
expect "no colour when output is not a terminal" bash -c "! grep -q $'\e\\[' <<<\"\$1\"" _ "$out"

# Standard input runs line by line as it arrives: the first answer comes before the input ends.
(echo 'echo one'; sleep 3; echo 'echo two') | "$binary" > "$work/stream" 2>&1 &
sleep 1.5
expect "stdin runs each line as it arrives" grep -q '^one$' "$work/stream"
wait
expect "stdin runs the later lines too" grep -q '^two$' "$work/stream"

printf 'echo crlf\r\nprint 1 + 1\r\n' > "$work/crlf.rnn"
out=$("$binary" "$work/crlf.rnn" 2>&1)
expect "a script with CRLF line endings runs" test "$out" = $'crlf\n1 + 1 = 2'
out=$(printf 'echo crlf\r\nprint 2 * 3\r\n' | "$binary" 2>&1)
expect "CRLF on standard input runs" test "$out" = $'crlf\n2 * 3 = 6'

printf 'step\nprint nope\necho not-reached\n' > "$work/bad.rnn"
out=$("$binary" "$work/bad.rnn" 2>"$work/err")
status=$?
expect "a script stops at its first error with status 1" test "$status" -eq 1
expect "the error names the file and line" grep -q "bad.rnn:2: error: unknown name 'nope'" "$work/err"
expect "nothing after the error runs" bash -c "! grep -q not-reached <<<\"\$1\"" _ "$out"

printf 'bptt seed\ngradcheck\necho still-running\n' > "$work/fail.rnn"
out=$("$binary" "$work/fail.rnn" 2>&1)
status=$?
expect "a failed gradcheck makes the exit status 1" test "$status" -eq 1
expect "a failed check does not stop the script" grep -q still-running <<<"$out"

"$binary" -c 'step; step; print h[1][0] > -1' >"$work/c" 2>&1
expect "-c runs commands separated by ;" grep -q "h\[1\]\[0\] > -1 = 1" "$work/c"
"$binary" --version | grep -q "^rnnstep " && expect "--version" true || expect "--version" false
"$binary" --help | grep -q "usage: rnnstep" && expect "--help" true || expect "--help" false
"$binary" --bogus >/dev/null 2>&1
expect "an unknown option exits with status 2" test $? -eq 2
"$binary" -c 'echo a; seqlen 2.5; echo b' >/dev/null 2>"$work/err"
expect "an error on a line of several commands names the command" \
  grep -q "^-c:1: error: .* (command 2 of 3: seqlen 2.5)$" "$work/err"
# Every argument is used, or nothing runs.
refused=0
for args in "-c echo extra" "--version x" "lesson 1 2" "check --bogus x.md" "$work/crlf.rnn $work/crlf.rnn"; do
  # shellcheck disable=SC2086
  out=$("$binary" $args 2>&1)
  if test $? -eq 2 && grep -q "^rnnstep: " <<<"$out" && ! grep -q "^crlf" <<<"$out"; then refused=$((refused + 1)); fi
done
expect "extra arguments are refused with status 2, nothing run" test "$refused" -eq 5
# A line of 2 MB on standard input: refused in bounded memory, naming the line and the limit.
out=$( (echo 'echo before'; head -c 2000000 /dev/zero | tr '\0' x; echo) | "$binary" 2>&1)
expect "an overlong stdin line is refused with its length and the limit" \
  test "$out" = $'before\nstdin:2: error: the line is 2000000 bytes long; rnnstep reads lines of up to 1048576 (1 MiB)'

# Progress and history live under $HOME, whatever the account's home folder is.
mkdir -p "$work/home"
HOME="$work/home" RNNSTEP_STATE= RNNSTEP_HISTORY= XDG_STATE_HOME= "$binary" -c 'lesson 1' > /dev/null 2>&1
expect "lesson progress is kept under \$HOME" test -s "$work/home/.rnnstep_lessons.json"

# Ctrl-C (SIGINT) ends a script, as it ends a shell's: the interrupted command stops after its
# current update, nothing after it runs, and the status is 130.
printf 'example hello\ntrain 1000000\necho not-reached\n' > "$work/long.rnn"
"$binary" "$work/long.rnn" > "$work/long.out" 2> "$work/long.err" &
pid=$!
for _ in $(seq 50); do grep -q 'example hello' "$work/long.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -INT "$pid"
wait "$pid"
status=$?
expect "SIGINT ends a script with status 130" test "$status" -eq 130
expect "the interrupted command says so" grep -q '^interrupted after [0-9]* of 1000000 updates' "$work/long.out"
expect "nothing after an interrupted command runs" bash -c "! grep -q not-reached \"\$1\"" _ "$work/long.out"
expect "the script's error names the line" grep -q 'long.rnn:2: interrupted' "$work/long.err"

echo "scripts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
