Golden tests in the cram format, exercised with plain shell commands.
Lines that are not indented, like this one, are prose and are kept as written.

A command, and its output indented by two spaces:

  $ echo hello
  hello

stdout and stderr are merged in the order they were written:

  $ echo out; echo err >&2; echo out again
  out
  err
  out again

A non-zero exit code is written in brackets after the output:

  $ false
  [1]
  $ echo partial; (exit 3)
  partial
  [3]

Continuation lines start with `>`; all commands share one shell and one
working directory, so a file written by a heredoc can be used later:

  $ cat > script.txt <<EOF
  > first line
  > second line
  > EOF
  $ wc -l < script.txt
  2
  $ greeting=hi
  $ echo "$greeting again"
  hi again
  $ mkdir sub && cd sub
  $ ls ..
  script.txt
  sub

Empty output lines are written as two spaces:

  $ printf 'a\n\nb\n'
  a
  
  b

Regular expressions (fullmatch) and globs:

  $ echo "took 12 ms"; echo "id=abc-123"
  took \d+ ms (re)
  id=*-??3 (glob)
  $ echo 'a star * and a question ?'
  a star \* and a question \? (glob)

Output without a final newline, and escaped bytes:

  $ printf 'no newline'
  no newline (no-eol)
  $ printf 'tab\there\001\n'
  tab\there\x01 (esc)
  $ printf 'caf\303\251\n'
  caf\xc3\xa9 (esc)
  $ printf 'caf\303\251\n'
  café
  $ printf 'x\ty'
  x\ty (no-eol) (esc)

Lines that would be misread as commands, continuations or exit codes are escaped:

  $ echo '$ not a command'; echo '[1]'
  \x24 not a command (esc)
  \x5b1] (esc)

The environment is pinned:

  $ echo "$COLUMNS $LINES $NO_COLOR $TERM $LANG $LC_ALL $TZ $PYTHONHASHSEED"
  80 24 1 dumb C.UTF-8 C.UTF-8 UTC 0
  $ date -d @0 +'%Y-%m-%d %H:%M %Z'
  1970-01-01 00:00 UTC
  $ test "$HOME" != ~root && test -d "$HOME" && echo "$HOME"
  */home (glob)
  $ echo "$XDG_CONFIG_HOME"
  */home/.config (glob)
  $ test -f "$TESTDIR/$TESTFILE" && echo "$TESTFILE"
  shell-basics.t
  $ python -c 'import sys; print(sys.prefix != sys.base_prefix)'
  True

The shell may end the file with its own exit:

  $ exit 3
  [3]
