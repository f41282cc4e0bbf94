# taptest.py: run unittest tests and report them as TAP version 13
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs ``unittest`` tests and prints TAP version 13, for meson's
``protocol: 'tap'``. Stdlib only.

In a test file::

    import taptest

    class StunTest(unittest.TestCase):
        ...

    if __name__ == '__main__':
        sys.exit(taptest.main())

Output: ``TAP version 13``, one line per test as it finishes (``ok N - name``,
``not ok N - name`` followed by the traceback as ``# `` comments,
``ok N - name # SKIP reason``, ``not ok N - name # TODO expected failure``,
``ok N - name # TODO unexpected success``),
then the plan ``1..N`` (a trailing plan, so errors in ``setUpClass`` that
keep tests from running still add up). The exit status is 1 when anything
failed, 128 + N when signal N (SIGINT, or SIGTERM raised as a
KeyboardInterrupt subclass with a ``signum``) interrupted the run. ``main(requires=f)`` calls @f first: if it raises
``unittest.SkipTest`` the whole file is skipped (``1..0 # SKIP reason``,
exit 0); any other exception bails out (``Bail out!``, exit 1).

While tests run, ``sys.stdout`` points at stderr so that a stray ``print``
cannot break the TAP stream; ``diag(msg)`` writes a ``# `` comment into it.

Command line: ``test_x.py [-k PATTERN]… [TestClass.test_name]…``.
"""

import argparse
import sys
import time
import traceback
import unittest

_tap_stream = None


def _comment(text):
    return ''.join(f'# {line}\n' for line in str(text).rstrip('\n').splitlines())


def diag(msg):
    """Writes @msg as TAP comment lines (to stderr outside a TAP run)."""
    stream = _tap_stream or sys.stderr
    stream.write(_comment(msg))
    stream.flush()


def _name(test):
    """A short name: 'Class.method' (plus its description line, if any)."""
    if isinstance(test, unittest.TestCase) and hasattr(test, '_testMethodName'):
        name = f'{type(test).__name__}.{test._testMethodName}'
        doc = test.shortDescription()
        if doc:
            name += f': {doc}'
    else:
        name = str(test)       # e.g. 'setUpClass (module.Class)'
    return name.replace('#', '\\#').replace('\n', ' ')


class TapResult(unittest.TestResult):
    """A TestResult that prints TAP lines as tests finish."""

    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream or sys.stdout
        self.count = 0
        self._current = None

    # One line per test, written when the test stops; subtests fold into it.
    def startTest(self, test):
        super().startTest(test)
        self._current = {'status': 'ok', 'directive': '', 'diag': [],
                         'start': time.monotonic()}

    def stopTest(self, test):
        super().stopTest(test)
        cur, self._current = self._current, None
        if cur is not None:
            elapsed = time.monotonic() - cur['start']
            self._emit(test, cur['status'], cur['directive'],
                       cur['diag'] + [f'duration: {elapsed:.2f} s'])

    def _emit(self, test, status, directive='', diagnostics=()):
        self.count += 1
        line = f'{status} {self.count} - {_name(test)}'
        if directive:
            line += f' # {directive}'
        self.stream.write(line + '\n')
        for d in diagnostics:
            self.stream.write(_comment(d))
        self.stream.flush()

    def _record(self, test, status, directive='', text=None):
        if self._current is None:
            # Errors of setUpClass/setUpModule arrive outside any test.
            self._emit(test, status, directive, [text] if text else [])
            return
        cur = self._current
        # A plain failure wins over everything; otherwise the last word counts.
        if not (cur['status'] == 'not ok' and not cur['directive']):
            cur['status'] = status
            cur['directive'] = directive
        if text:
            cur['diag'].append(text)

    def addSuccess(self, test):
        super().addSuccess(test)

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, 'not ok', text=self._exc_info_to_string(err, test))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, 'not ok', text=self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        reason = str(reason).replace('\n', ' ')
        self._record(test, 'ok', f'SKIP {reason}')

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, 'not ok', 'TODO expected failure',
                     self._exc_info_to_string(err, test))

    def addUnexpectedSuccess(self, test):
        # "ok … # TODO": meson counts it as an unexpected pass (a failure).
        super().addUnexpectedSuccess(test)
        self._record(test, 'ok', 'TODO unexpected success')

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = 'failure' if issubclass(err[0], test.failureException) else 'error'
            self._record(test, 'not ok',
                         text=f'subtest {subtest._subDescription()} {kind}:\n'
                              + self._exc_info_to_string(err, test))


def run(test, stream=None):
    """Runs @test (a TestCase or TestSuite), printing TAP to @stream
    (default sys.stdout). Returns True when nothing failed."""
    global _tap_stream
    stream = stream or sys.stdout
    _tap_stream = stream
    result = TapResult(stream)
    stream.write('TAP version 13\n')
    stream.flush()
    saved_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        test(result)
    except KeyboardInterrupt as e:
        stream.write(f'Bail out! {e or "interrupted"}\n')
        raise
    finally:
        sys.stdout = saved_stdout
        stream.write(f'1..{result.count}\n')
        stream.flush()
        _tap_stream = None
    return result.wasSuccessful()


def main(module='__main__', argv=None, requires=None):
    """Loads the tests of @module (honouring -k and test names on the
    command line), runs them as TAP and returns the exit status."""
    parser = argparse.ArgumentParser(description='Run tests, report TAP v13.')
    parser.add_argument('-k', dest='patterns', action='append', default=[],
                        help='only run tests whose name matches this pattern')
    parser.add_argument('tests', nargs='*', help='TestClass or TestClass.test_name')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    if requires is not None:
        try:
            requires()
        except unittest.SkipTest as e:
            print(f'TAP version 13\n1..0 # SKIP {e}', flush=True)
            return 0
        except Exception as e:   # noqa: BLE001 — any failure bails out
            print(f'TAP version 13\nBail out! {type(e).__name__}: {e}', flush=True)
            traceback.print_exc()
            return 1

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [p if '*' in p else f'*{p}*' for p in args.patterns]
    mod = sys.modules[module] if isinstance(module, str) else module
    if args.tests:
        suite = loader.loadTestsFromNames(args.tests, mod)
    else:
        suite = loader.loadTestsFromModule(mod)
    try:
        return 0 if run(suite) else 1
    except KeyboardInterrupt as e:
        # SIGINT, or SIGTERM turned into KeyboardInterrupt (burrowlab does).
        return 128 + getattr(e, 'signum', 2)
