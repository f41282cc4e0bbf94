// The STUN client and codec from GJS, through the Burrow-1.0 typelib. TAP output.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Burrow from 'gi://Burrow?version=1.0';
import System from 'system';

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

function assertEqual(actual, expected, what) {
    if (actual !== expected)
        throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

function startCoturn() {
    const dir = GLib.dir_make_tmp('burrow-gjs-XXXXXX');
    for (let attempt = 0; attempt < 20; attempt++) {
        const port = 20000 + 2 * GLib.random_int_range(0, 10000);
        const proc = Gio.Subprocess.new([
            'turnserver', '-n', '--no-cli', '--no-tls', '--no-dtls', '--simple-log',
            `--log-file=${dir}/turn.log`, `--pidfile=${dir}/turn.pid`, `--db=${dir}/turndb`,
            '--listening-ip=127.0.0.1', '--listening-ip=127.0.0.2',
            `--listening-port=${port}`, `--alt-listening-port=${port + 1}`,
        ], Gio.SubprocessFlags.STDOUT_SILENCE | Gio.SubprocessFlags.STDERR_SILENCE);
        for (let i = 0; i < 50; i++) {
            const probe = Burrow.StunClient.new('127.0.0.1', port);
            probe.rto = 50;
            probe.max_requests = 2;
            probe.last_timeout_factor = 2;
            try {
                probe.bind_sync(null);
                return {proc, port, dir};
            } catch (e) {
                if (proc.get_identifier() === null)
                    break;  // exited: port taken, try another
            }
        }
        proc.force_exit();
    }
    throw new Error('coturn did not start');
}

const server = startCoturn();

test('bind_sync returns the own loopback address', () => {
    const client = Burrow.StunClient.new('127.0.0.1', server.port);
    const mapped = client.bind_sync(null);
    assertEqual(mapped.get_address().to_string(), '127.0.0.1', 'mapped address');
    assertEqual(mapped.get_port(), client.get_local_address().get_port(), 'mapped port');
});

test('bind_async completes on the main loop', () => {
    const client = Burrow.StunClient.new('127.0.0.1', server.port);
    const loop = new GLib.MainLoop(null, false);
    let mapped = null;
    client.bind_async(null, (c, res) => {
        mapped = c.bind_finish(res);
        loop.quit();
    });
    GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 10, () => {
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    loop.run();
    if (mapped === null)
        throw new Error('no answer within 10 s');
    assertEqual(mapped.get_address().to_string(), '127.0.0.1', 'mapped address');
});

test('discover_nat_sync reports no NAT on loopback', () => {
    const client = Burrow.StunClient.new('127.0.0.1', server.port);
    client.rto = 50;
    client.max_requests = 3;
    client.last_timeout_factor = 4;
    const report = client.discover_nat_sync(null);
    assertEqual(report.nat_type, Burrow.NatType.NONE, 'nat-type');
    assertEqual(report.mapping, Burrow.NatBehavior.ENDPOINT_INDEPENDENT, 'mapping');
    assertEqual(report.filtering, Burrow.NatBehavior.ENDPOINT_INDEPENDENT, 'filtering');
    assertEqual(report.get_other_address().get_address().to_string(), '127.0.0.2', 'other');
});

test('a silent port gives a TIMEOUT GError', () => {
    const silent = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM,
        Gio.SocketProtocol.UDP);
    silent.bind(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), false);
    const client = Burrow.StunClient.new('127.0.0.1', silent.get_local_address().get_port());
    client.rto = 50;
    client.max_requests = 2;
    client.last_timeout_factor = 2;
    let error = null;
    try {
        client.bind_sync(null);
    } catch (e) {
        error = e;
    }
    if (error === null || !error.matches(Burrow.stun_error_quark(), Burrow.StunError.TIMEOUT))
        throw new Error(`expected a TIMEOUT error, got ${error}`);
    silent.close();
});

test('messages round-trip with integrity', () => {
    const msg = Burrow.StunMessage.new_request(Burrow.StunMethod.BINDING);
    msg.add_string(Burrow.StunAttribute.SOFTWARE, 'gjs');
    const key = new TextEncoder().encode('swordfish');
    const wire = msg.serialize(Burrow.StunSignFlags.MESSAGE_INTEGRITY |
        Burrow.StunSignFlags.FINGERPRINT, key);
    const parsed = Burrow.StunMessage.new_from_bytes(wire);
    assertEqual(parsed.get_string(Burrow.StunAttribute.SOFTWARE), 'gjs', 'SOFTWARE');
    assertEqual(parsed.check_integrity(key), true, 'integrity');
    assertEqual(parsed.check_integrity(new TextEncoder().encode('nope')), false, 'bad key');
    assertEqual(parsed.check_fingerprint(), true, 'fingerprint');
});

let failed = 0;
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

server.proc.send_signal(15);
server.proc.wait(null);
GLib.spawn_command_line_sync(`rm -rf ${server.dir}`);
System.exit(failed ? 1 : 0);
