#!/usr/bin/python3
# What libtorrent (python3-libtorrent) makes of .torrent files: for each path given,
# whether it loads, its name and its files (path, size, pad, symlink), as JSON.
import json
import sys

import libtorrent as lt

out = []
for p in sys.argv[1:]:
    try:
        ti = lt.torrent_info(p)
    except Exception as e:  # libtorrent refuses the file: say why
        out.append({'ok': False, 'error': str(e)})
        continue
    fs = ti.files()
    files = []
    for i in range(fs.num_files()):
        flags = fs.file_flags(i)
        files.append({'path': fs.file_path(i), 'size': fs.file_size(i),
                      'pad': bool(flags & lt.file_storage.flag_pad_file),
                      'symlink': bool(flags & lt.file_storage.flag_symlink)})
    out.append({'ok': True, 'name': ti.name(), 'files': files})
print(json.dumps(out))
