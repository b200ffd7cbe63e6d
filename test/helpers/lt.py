#!/usr/bin/python3
# Real libtorrent peers for the tests, all on 127.0.0.1 (run with Debian's /usr/bin/python3).
#   create --path P --out F [--piece-size N] [--tracker URL]... [--v2|--hybrid]
#   seed   --torrent F --data DIR [--pieces SPEC] [--port-file F] [--upload-rate B] [--dht-bootstrap H:P] [--connect H:P]... [--fast] [--sessions N] [--no-pex]
#   leech  --torrent F --out DIR --peer H:P... [--timeout S] [--download-rate B] [--fast] [--no-pex]
# seed and leech take [--encryption forced|disabled]: MSE/PE required in and out with RC4
# only, or never (plaintext only); libtorrent's default (enabled, both) otherwise; and
# [--utp-only]: no TCP at all, uTP in and out (a peer whose TCP port is blocked); and
# [--lsd]: local service discovery on (run it only in a network namespace with only lo).
# `leech` may then have no --peer.
# `seed` prints "PORT <n> HAVE <pieces>" (and writes <n> to --port-file) once checking is done;
# it runs until SIGTERM or stdin closes. `--sessions N` runs N seeding sessions in this one
# process (one line each; the first checks the data, the others trust its result), for swarms
# that must not cost N pythons. `--fast` is what a user picks to go fast (fast_settings());
# the tests keep libtorrent's defaults. `--pieces` (`0-9,20`, `even`, `odd`, `mod:M:R`) makes a
# partial seeder: the other pieces' bytes in DIR (a private copy) are zeroed, the torrent is
# rechecked (no seed_mode) and every piece priority is 0, so it never downloads what it lacks.
# libtorrent 2.0.8 notes: `create_torrent.v1_only` makes no pad files (the default flags make a
# hybrid torrent, padded); `announce_ip` is not listed by default_settings() but is accepted;
# ssrf_mitigation would drop loopback trackers whose path is not /announce, so it is off.
import argparse
import os
import signal
import sys
import threading
import time

import libtorrent as lt


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def session(extra=None):
    s = {
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        'upload_rate_limit': 0, 'download_rate_limit': 0,
        'unchoke_slots_limit': -1, 'connections_limit': 500,
        'announce_to_all_tiers': True, 'announce_to_all_trackers': True,
        'announce_ip': '127.0.0.1',
        # Pears speaks TCP only; libtorrent would try uTP first and wait for it to time out.
        'enable_outgoing_utp': False, 'enable_incoming_utp': False,
        'alert_mask': lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
        'anonymous_mode': False,
        'seed_choking_algorithm': int(lt.seed_choking_algorithm_t.fastest_upload),
        'ssrf_mitigation': False,
        'min_announce_interval': 1,
        'allow_i2p_mixed': False,
        # Partial seeders are upload-only; keep their links to each other (PEX tests need them).
        'close_redundant_connections': False,
    }
    s.update(extra or {})
    return lt.session(s)


def fast_settings():
    # libtorrent's own preset for a fast seeder, plus the large buffers a user tuning for
    # speed adds: without them the send buffer, not the link or the CPU, caps a fast leecher.
    default = lt.default_settings()
    s = {k: v for k, v in lt.high_performance_seed().items() if default.get(k) != v}
    s.update({
        'send_buffer_watermark': 16 * 1024 * 1024,
        'send_socket_buffer_size': 4 * 1024 * 1024,
        'recv_socket_buffer_size': 4 * 1024 * 1024,
        'unchoke_slots_limit': -1,
    })
    return s


def utp_only_settings(on):
    if not on:
        return {}
    return {'enable_outgoing_tcp': False, 'enable_incoming_tcp': False,
            'enable_outgoing_utp': True, 'enable_incoming_utp': True}


def lsd_settings(on):
    return {'enable_lsd': True} if on else {}


def enc_settings(mode):
    if mode == 'forced':
        return {'out_enc_policy': int(lt.enc_policy.pe_forced), 'in_enc_policy': int(lt.enc_policy.pe_forced),
                'allowed_enc_level': int(lt.enc_level.pe_rc4)}
    if mode == 'disabled':
        return {'out_enc_policy': int(lt.enc_policy.pe_disabled), 'in_enc_policy': int(lt.enc_policy.pe_disabled),
                'allowed_enc_level': int(lt.enc_level.pe_plaintext)}
    return {}


def pieces_spec(spec, n):
    if spec in (None, '', 'all'):
        return set(range(n))
    if spec == 'even':
        return {i for i in range(n) if i % 2 == 0}
    if spec == 'odd':
        return {i for i in range(n) if i % 2 == 1}
    if spec.startswith('mod:'):
        _, m, r = spec.split(':')
        return {i for i in range(n) if i % int(m) == int(r)}
    out = set()
    for part in spec.split(','):
        if '-' in part:
            a, b = part.split('-')
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return out


def zero_missing(ti, data, keep):
    """Overwrite the bytes of pieces not in `keep` with zeros, so a recheck finds only `keep`."""
    fs = ti.files()
    plen = ti.piece_length()
    for p in range(ti.num_pieces()):
        if p in keep:
            continue
        for slice_ in ti.map_block(p, 0, ti.piece_size(p)):
            path = os.path.join(data, fs.file_path(slice_.file_index))
            if fs.file_flags(slice_.file_index) & lt.file_storage.flag_pad_file or not os.path.exists(path):
                continue
            with open(path, 'r+b') as f:
                f.seek(slice_.offset)
                f.write(b'\0' * slice_.size)
    return plen


def wait_checked(ses, h, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        st = h.status()
        if st.state not in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data) and st.has_metadata:
            return st
        for a in ses.pop_alerts():
            if a.category() & lt.alert.category_t.error_notification:
                log('alert:', a.message())
        time.sleep(0.05)
    raise SystemExit('checking timed out')


def parse_hp(s):
    host, port = s.rsplit(':', 1)
    return host.strip('[]'), int(port)


def cmd_create(a):
    fs = lt.file_storage()
    lt.add_files(fs, a.path)
    flags = 0
    if a.v2:
        flags = lt.create_torrent.v2_only
    elif not a.hybrid:
        flags = lt.create_torrent.v1_only
    ct = lt.create_torrent(fs, a.piece_size or 0, flags=flags)
    for tier, url in enumerate(a.tracker or []):
        ct.add_tracker(url, tier)
    ct.set_creator('pears-tests')
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(a.path)))
    with open(a.out, 'wb') as f:
        f.write(lt.bencode(ct.generate()))


def cmd_seed(a):
    extra = fast_settings() if a.fast else {}
    if a.dht_bootstrap:
        extra.update({
            'enable_dht': True,
            'dht_bootstrap_nodes': ','.join(a.dht_bootstrap),
            'dht_restrict_routing_ips': False,
            'dht_restrict_search_ips': False,
            'dht_prefer_verified_node_ids': False,
            'dht_ignore_dark_internet': False,
        })
    extra.update(enc_settings(a.encryption))
    extra.update(utp_only_settings(a.utp_only))
    extra.update(lsd_settings(a.lsd))
    if a.listen:
        extra['listen_interfaces'] = f'{a.listen}:0'
    ti = lt.torrent_info(a.torrent)
    keep = pieces_spec(a.pieces, ti.num_pieces())
    if a.pieces:
        zero_missing(ti, a.data, keep)
    seeds = []
    checked = None
    for _ in range(a.sessions):
        ses = session(extra)
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(a.torrent)
        params.save_path = a.data
        if a.pieces:
            params.piece_priorities = [0] * ti.num_pieces()
        if checked is not None:
            params.have_pieces = checked
        if a.no_pex:
            params.flags |= lt.torrent_flags.disable_pex
        h = ses.add_torrent(params)
        if a.upload_rate:
            h.set_upload_limit(a.upload_rate)
        st = wait_checked(ses, h)
        checked = st.pieces
        have = sum(1 for x in st.pieces if x)
        if have != len(keep):
            log(f'seeder has {have} pieces, expected {len(keep)}')
        for peer in a.connect or []:
            h.connect_peer(parse_hp(peer))
        if a.port_file and not seeds:
            with open(a.port_file + '.tmp', 'w') as f:
                f.write(str(ses.listen_port()))
            os.replace(a.port_file + '.tmp', a.port_file)
        print(f'PORT {ses.listen_port()} HAVE {have}', flush=True)
        seeds.append(ses)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.is_set():
        for ses in seeds:
            for al in ses.pop_alerts():
                if al.category() & lt.alert.category_t.error_notification:
                    log('alert:', al.message())
        stop.wait(0.2)


def cmd_leech(a):
    ses = session({**(fast_settings() if a.fast else {}), **enc_settings(a.encryption), **utp_only_settings(a.utp_only), **lsd_settings(a.lsd)})
    if a.torrent.startswith('magnet:'):
        # Metadata (and, for v2, piece layers) must then come from the peers.
        params = lt.parse_magnet_uri(a.torrent)
    else:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(a.torrent)
    params.save_path = a.out
    if a.no_pex:
        params.flags |= lt.torrent_flags.disable_pex
    h = ses.add_torrent(params)
    if a.download_rate:
        h.set_download_limit(a.download_rate)
    for p in a.peer or []:
        h.connect_peer(parse_hp(p))
    end = time.time() + a.timeout
    while time.time() < end:
        st = h.status()
        if st.is_seeding:
            print('DONE', flush=True)
            return
        # Reconnect: the peer may have been choked or dropped.
        if st.num_peers == 0:
            for p in a.peer or []:
                h.connect_peer(parse_hp(p))
        for al in ses.pop_alerts():
            if al.category() & lt.alert.category_t.error_notification:
                log('alert:', al.message())
        time.sleep(0.1)
    log(f'leech timed out at {h.status().progress:.3f}')
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('create')
    c.add_argument('--path', required=True)
    c.add_argument('--out', required=True)
    c.add_argument('--piece-size', type=int, default=0)
    c.add_argument('--tracker', action='append')
    c.add_argument('--v2', action='store_true')
    c.add_argument('--hybrid', action='store_true')
    s = sub.add_parser('seed')
    s.add_argument('--torrent', required=True)
    s.add_argument('--data', required=True)
    s.add_argument('--pieces')
    s.add_argument('--port-file')
    s.add_argument('--upload-rate', type=int, default=0)
    s.add_argument('--dht-bootstrap', action='append')
    s.add_argument('--connect', action='append')
    s.add_argument('--fast', action='store_true')
    s.add_argument('--sessions', type=int, default=1)
    s.add_argument('--no-pex', action='store_true')
    s.add_argument('--listen', help='listen (and dial from) this address, e.g. 127.0.0.2')
    le = sub.add_parser('leech')
    le.add_argument('--torrent', required=True)
    le.add_argument('--out', required=True)
    le.add_argument('--peer', action='append')
    le.add_argument('--timeout', type=float, default=60)
    le.add_argument('--fast', action='store_true')
    le.add_argument('--no-pex', action='store_true')
    le.add_argument('--download-rate', type=int, default=0)
    for p in (s, le):
        p.add_argument('--encryption', choices=['forced', 'disabled'])
        p.add_argument('--utp-only', action='store_true')
        p.add_argument('--lsd', action='store_true')
    a = ap.parse_args()
    {'create': cmd_create, 'seed': cmd_seed, 'leech': cmd_leech}[a.cmd](a)


if __name__ == '__main__':
    main()
