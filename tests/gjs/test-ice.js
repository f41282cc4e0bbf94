// Two Burrow.Agents connect over loopback from GJS and exchange data through
// attach_recv(), through the Burrow-1.0 typelib. TAP output.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Burrow from 'gi://Burrow?version=1.0';
import System from 'system';

const tests = [];
const test = (name, fn) => tests.push([name, fn]);
const READY = Burrow.ComponentState.READY;

function assertEqual(actual, expected, what) {
    if (actual !== expected)
        throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

// Runs the default main context until predicate() holds or timeoutMs pass.
function runUntil(predicate, timeoutMs) {
    if (predicate())
        return true;
    const loop = new GLib.MainLoop(null, false);
    let expired = false;
    const poll = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
        if (predicate())
            loop.quit();
        return GLib.SOURCE_CONTINUE;
    });
    const timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMs, () => {
        expired = true;
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    loop.run();
    GLib.source_remove(poll);
    if (!expired)
        GLib.source_remove(timer);
    return predicate();
}

function makeAgent(controlling) {
    const agent = Burrow.Agent.new(null, Burrow.Compatibility.RFC5245);
    agent.controlling_mode = controlling;
    agent.add_local_address(Gio.InetAddress.new_from_string('127.0.0.1'));
    const peer = {agent, stream: agent.add_stream(1), gathered: false, state: 0,
        states: [], selected: null, received: []};
    agent.connect('candidate-gathering-done', () => {
        peer.gathered = true;
    });
    agent.connect('component-state-changed', (a, s, c, state) => {
        peer.state = state;
        peer.states.push(state);
    });
    agent.connect('new-selected-pair-full', (a, s, c, local, remote) => {
        peer.selected = [local, remote];
    });
    // GJS folds the length into the Uint8Array (PyGObject passes both).
    assertEqual(agent.attach_recv(peer.stream, 1, null, (a, s, c, buf) => {
        peer.received.push(new TextDecoder().decode(buf));
    }), true, 'attach_recv');
    return peer;
}

function close(peer) {
    let done = false;
    peer.agent.close_async(() => {
        done = true;
    });
    runUntil(() => done, 5000);
}

function connectPair() {
    const a = makeAgent(true), b = makeAgent(false);
    assertEqual(a.agent.gather_candidates(a.stream), true, 'gather a');
    assertEqual(b.agent.gather_candidates(b.stream), true, 'gather b');
    if (!runUntil(() => a.gathered && b.gathered, 10000))
        throw new Error('gathering did not end within 10 s');
    for (const [from, to] of [[a, b], [b, a]]) {
        const [ok, ufrag, pwd] = from.agent.get_local_credentials(from.stream);
        assertEqual(ok, true, 'get_local_credentials');
        to.agent.set_remote_credentials(to.stream, ufrag, pwd);
        const cands = from.agent.get_local_candidates(from.stream, 1);
        if (cands.length === 0)
            throw new Error('no local candidates');
        assertEqual(to.agent.set_remote_candidates(to.stream, 1, cands), cands.length,
            'set_remote_candidates');
    }
    if (!runUntil(() => a.state === READY && b.state === READY, 15000))
        throw new Error(`not READY: ${a.states} / ${b.states}`);
    return [a, b];
}

test('two agents reach READY and exchange data through attach_recv', () => {
    const [a, b] = connectPair();
    try {
        for (const peer of [a, b]) {
            assertEqual(peer.agent.get_component_state(peer.stream, 1), READY, 'state');
            if (peer.selected === null)
                throw new Error('no new-selected-pair-full');
            assertEqual(peer.selected[0].get_candidate_type(), Burrow.CandidateType.HOST,
                'local type');
        }
        const [ok, local, remote] = a.agent.get_selected_pair(a.stream, 1);
        assertEqual(ok, true, 'get_selected_pair');
        assertEqual(local.get_ip(), '127.0.0.1', 'local ip');
        assertEqual(remote.get_port(), b.selected[0].get_port(), 'remote port');

        const enc = new TextEncoder();
        for (let i = 0; i < 10; i++) {
            const ab = enc.encode(`a-to-b ${i}`), ba = enc.encode(`b-to-a ${i}`);
            assertEqual(a.agent.send(a.stream, 1, ab), ab.length, 'send a');
            assertEqual(b.agent.send(b.stream, 1, ba), ba.length, 'send b');
        }
        if (!runUntil(() => a.received.length >= 10 && b.received.length >= 10, 5000))
            throw new Error(`received ${a.received.length} and ${b.received.length} of 10`);
        assertEqual(b.received.sort().join(','),
            [...Array(10).keys()].map(i => `a-to-b ${i}`).join(','), 'b received');
        assertEqual(a.received.sort().join(','),
            [...Array(10).keys()].map(i => `b-to-a ${i}`).join(','), 'a received');

        // many at once: an array of GLib.Bytes, in order
        b.received.length = 0;
        const many = [...Array(40).keys()].map(i => `batch ${i}`.padEnd(64, '.'));
        assertEqual(a.agent.send_datagrams(a.stream, 1,
            many.map(t => new GLib.Bytes(enc.encode(t)))), many.length, 'send_datagrams');
        if (!runUntil(() => b.received.length >= many.length, 5000))
            throw new Error(`received ${b.received.length} of ${many.length}`);
        assertEqual(b.received.join(','), many.join(','), 'send_datagrams in order');
    } finally {
        close(a);
        close(b);
    }
});

test('SDP written by one agent is read by the other', () => {
    const a = makeAgent(true), b = makeAgent(false);
    try {
        b.agent.set_stream_name(b.stream, 'audio');
        a.agent.set_stream_name(a.stream, 'audio');
        a.agent.gather_candidates(a.stream);
        b.agent.gather_candidates(b.stream);
        if (!runUntil(() => a.gathered && b.gathered, 10000))
            throw new Error('gathering did not end within 10 s');
        const sdpA = a.agent.generate_local_sdp(), sdpB = b.agent.generate_local_sdp();
        if (!sdpA.includes('a=candidate:') || !sdpA.startsWith('m=audio'))
            throw new Error(`unexpected SDP: ${sdpA}`);
        assertEqual(b.agent.parse_remote_sdp(sdpA), 1, 'parse_remote_sdp b');
        assertEqual(a.agent.parse_remote_sdp(sdpB), 1, 'parse_remote_sdp a');
        if (!runUntil(() => a.state === READY && b.state === READY, 15000))
            throw new Error(`not READY: ${a.states} / ${b.states}`);
    } finally {
        close(a);
        close(b);
    }
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
System.exit(failed ? 1 : 0);
