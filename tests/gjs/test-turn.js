// The TURN client from GJS, through the Burrow-1.0 typelib, against a
// loopback coturn. Two allocations on it are each other's peers. TAP output.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Burrow from 'gi://Burrow?version=1.0';
import System from 'system';

const USER = 'burrow';
const PASSWORD = 'burrowpass';
const LOOPBACK = Gio.InetAddress.new_from_string('127.0.0.1');

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

function assertEqual(actual, expected, what) {
    if (actual !== expected)
        throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

function assert(condition, what) {
    if (!condition)
        throw new Error(what);
}

const bytes = text => new GLib.Bytes(new TextEncoder().encode(text));
const text = data => new TextDecoder().decode(data.toArray());

// Runs the main loop until done() is true or `seconds` pass; returns done().
function runLoop(seconds, done) {
    const loop = new GLib.MainLoop(null, false);
    const deadline = GLib.get_monotonic_time() + seconds * 1000000;
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 20, () => {
        if (done() || GLib.get_monotonic_time() >= deadline) {
            loop.quit();
            return GLib.SOURCE_REMOVE;
        }
        return GLib.SOURCE_CONTINUE;
    });
    loop.run();
    return done();
}

function startCoturn() {
    const dir = GLib.dir_make_tmp('burrow-gjs-turn-XXXXXX');
    for (let attempt = 0; attempt < 20; attempt++) {
        const port = 20000 + 2 * GLib.random_int_range(0, 10000);
        const minPort = 40000 + 2 * GLib.random_int_range(0, 9000);
        // coturn dies with gjs, even when a crash skips stopCoturn().
        const setpriv = GLib.find_program_in_path('setpriv')
            ? ['setpriv', '--pdeathsig', 'TERM', '--'] : [];
        const proc = Gio.Subprocess.new([
            ...setpriv, 'turnserver', '-n', '--no-cli', '--no-tls', '--no-dtls', '--simple-log',
            `--log-file=${dir}/turn.log`, `--pidfile=${dir}/turn.pid`, `--db=${dir}/turndb`,
            '--listening-ip=127.0.0.1', `--listening-port=${port}`,
            `--alt-listening-port=${port + 1}`, '--no-rfc5780',
            '--lt-cred-mech', `--user=${USER}:${PASSWORD}`, '--realm=burrow.test',
            '--relay-ip=127.0.0.1', `--min-port=${minPort}`, `--max-port=${minPort + 199}`,
            '--allow-loopback-peers',
        ], Gio.SubprocessFlags.STDOUT_SILENCE | Gio.SubprocessFlags.STDERR_SILENCE);
        for (let i = 0; i < 50; i++) {
            const probe = Burrow.StunClient.new('127.0.0.1', port);
            probe.rto = 50;
            probe.max_requests = 2;
            probe.last_timeout_factor = 2;
            try {
                probe.bind_sync(null);
                return {proc, port, dir, minPort, maxPort: minPort + 199};
            } catch (e) {
                if (proc.get_identifier() === null)
                    break;  // exited: port taken, try another
            }
        }
        proc.force_exit();
        proc.wait(null);
    }
    GLib.spawn_command_line_sync(`rm -rf ${dir}`);
    throw new Error('coturn did not start');
}

function stopCoturn(server) {
    server.proc.send_signal(15);
    server.proc.wait(null);
    GLib.spawn_command_line_sync(`rm -rf ${server.dir}`);
}

const server = startCoturn();

function allocate() {
    const client = Burrow.TurnClient.new('127.0.0.1', server.port, USER, PASSWORD);
    return client.allocate_sync(null, null);
}

test('allocate_sync over UDP gives a loopback relayed address', () => {
    const allocation = allocate();
    const relayed = allocation.relayed_address;
    assertEqual(allocation.state, Burrow.RelayState.ALLOCATED, 'state');
    assertEqual(relayed.get_address().to_string(), '127.0.0.1', 'relayed address');
    assert(relayed.get_port() >= server.minPort && relayed.get_port() <= server.maxPort,
        `relayed port ${relayed.get_port()} outside ${server.minPort}-${server.maxPort}`);
    assert(allocation.lifetime > 0, 'no lifetime');
    assertEqual(allocation.client.realm, 'burrow.test', 'realm');
    allocation.release_sync(null);
});

test('create_permission_sync installs a permission', () => {
    const allocation = allocate();
    assertEqual(allocation.has_permission(LOOPBACK), false, 'permission before');
    let error = null;
    try {
        allocation.send(Gio.InetSocketAddress.new(LOOPBACK, 9), bytes('x'));
    } catch (e) {
        error = e;
    }
    assert(error !== null && error.matches(Burrow.turn_error_quark(),
        Burrow.TurnError.NO_PERMISSION), `expected NO_PERMISSION, got ${error}`);
    assertEqual(allocation.create_permission_sync(LOOPBACK, null), true, 'result');
    assertEqual(allocation.has_permission(LOOPBACK), true, 'permission after');
    assertEqual(allocation.permitted_peers.join(','), '127.0.0.1', 'permitted-peers');
    allocation.release_sync(null);
});

test('two allocations exchange data through channels with receive_async', () => {
    const a = allocate();
    const b = allocate();
    const channel = a.bind_channel_sync(b.relayed_address, null);
    assert(channel >= 0x4000 && channel <= 0x4fff, `channel ${channel}`);
    assertEqual(a.get_channel(b.relayed_address), channel, 'get_channel');
    const back = b.bind_channel_sync(a.relayed_address, null);
    assert(back >= 0x4000 && back <= 0x4fff, `channel ${back}`);

    const got = {};
    const errors = [];
    const receive = (allocation, name) => {
        allocation.receive_async(null, 5000, null, (source, result) => {
            try {
                const [data, from] = source.receive_finish(result);
                got[name] = [text(data), from.to_string()];
            } catch (e) {
                errors.push(e);
            }
        });
    };
    receive(a, 'a');
    receive(b, 'b');
    a.send(b.relayed_address, bytes('ping'));
    b.send(a.relayed_address, bytes('pong'));
    runLoop(6, () => ('a' in got && 'b' in got) || errors.length > 0);
    assertEqual(errors.length, 0, `errors ${errors}`);
    assertEqual(JSON.stringify(got.b), JSON.stringify(['ping', a.relayed_address.to_string()]),
        'b received');
    assertEqual(JSON.stringify(got.a), JSON.stringify(['pong', b.relayed_address.to_string()]),
        'a received');
    a.release_sync(null);
    b.release_sync(null);
});

test('data-received is emitted on the main loop', () => {
    const a = allocate();
    const b = allocate();
    a.create_permission_sync(LOOPBACK, null);
    b.create_permission_sync(LOOPBACK, null);
    const received = [];
    const id = b.connect('data-received', (allocation, peer, data) => {
        received.push([peer.to_string(), text(data)]);
    });
    GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        a.send(b.relayed_address, bytes('signal'));
        return GLib.SOURCE_REMOVE;
    });
    runLoop(5, () => received.length > 0);
    b.disconnect(id);
    assertEqual(JSON.stringify(received),
        JSON.stringify([[a.relayed_address.to_string(), 'signal']]), 'received');
    a.release_sync(null);
    b.release_sync(null);
});

test('release_sync ends the allocation', () => {
    const allocation = allocate();
    assertEqual(allocation.release_sync(null), true, 'release confirmed');
    assertEqual(allocation.state, Burrow.RelayState.RELEASED, 'state');
    let error = null;
    try {
        allocation.refresh_sync(null);
    } catch (e) {
        error = e;
    }
    assert(error !== null && error.matches(Burrow.turn_error_quark(),
        Burrow.TurnError.NO_ALLOCATION), `expected NO_ALLOCATION, got ${error}`);
});

let failed = 0;
print('TAP version 13');
print(`1..${tests.length}`);
tests.forEach(([name, fn], i) => {
    try {
        fn();
        print(`ok ${i + 1} - ${name}`);
    } catch (e) {
        failed++;
        print(`not ok ${i + 1} - ${name}`);
        for (const line of `${e}\n${e.stack ?? ''}`.split('\n'))
            print(`# ${line}`);
    }
});

stopCoturn(server);
System.exit(failed ? 1 : 0);
