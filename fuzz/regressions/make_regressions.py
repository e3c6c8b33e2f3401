#!/usr/bin/env python3
"""Writes the hostile inputs of this folder (see README.md) from one good lockstep stream.

    lockstep run -M virt-2.0 -bios none -kernel hello.elf -m 17M --save-at 2000=good.mig
    lockstep run -M virt-2.0 -bios none -kernel hello.elf -m 17M --describe-destination dest.json
    make_regressions.py good.mig dest.json OUT_DIR

Streams are written zstd-compressed (the replay test also reads them decompressed); every mutation
keeps the rest of the stream intact, so the tools get past the header to the damaged part.
Needs python3 and the zstd command; nothing here runs at build or test time.
"""
import json
import struct
import subprocess
import sys
from pathlib import Path


def vmdesc_at(stream):
    """Offset of the trailing 0x06 record: be32 length, then the JSON up to the end."""
    for i in range(len(stream) - 6, -1, -1):
        if stream[i] == 6 and stream[i + 5] == ord('{') and struct.unpack('>I', stream[i + 1:i + 5])[0] == len(stream) - i - 5:
            return i
    raise SystemExit('no VM description at the end of the stream')


def vmdesc(stream):
    return json.loads(stream[vmdesc_at(stream) + 5:])


def with_vmdesc(stream, desc_text):
    i = vmdesc_at(stream)
    return stream[:i] + b'\x06' + struct.pack('>I', len(desc_text)) + desc_text


def dumps(j):
    return json.dumps(j, separators=(', ', ': ')).encode()


def device(desc, name, instance=0):
    return next(d for d in desc['devices'] if d['name'] == name and d.get('instance_id') == instance)


def full_section_body(stream, idstr):
    """(offset of the idstr's length byte, offset of the body) of the FULL section `idstr` instance 0."""
    key = bytes([len(idstr)]) + idstr.encode() + b'\0\0\0\0'
    pos = stream.find(key)
    while pos >= 0 and stream[pos - 5] != 4:
        pos = stream.find(key, pos + 1)
    if pos < 0:
        raise SystemExit(f'no FULL section {idstr}')
    return pos, pos + len(key) + 4


def replace_once(stream, old, new):
    assert len(old) == len(new) and old in stream
    i = stream.index(old)
    return stream[:i] + new + stream[i + len(old):]


def nested(depth):
    return b'[' * depth + b']' * depth


def edit_vmdesc(stream, edit):
    d = vmdesc(stream)
    edit(d)
    return with_vmdesc(stream, dumps(d))


def main():
    good = Path(sys.argv[1]).read_bytes()
    dest = json.loads(Path(sys.argv[2]).read_text())
    out = Path(sys.argv[3])
    streams = {}

    # Invalid UTF-8 in names that come from the wire (they reach --json output and messages).
    streams['idstr-invalid-utf8'] = replace_once(good, b'\x06serial\0', b'\x06ser\xffal\0')
    streams['ramblock-invalid-utf8'] = replace_once(good, b'\x08virt.ram', b'\x08virt\xffram')
    streams['machine-invalid-utf8'] = replace_once(good, b'\x08virt-2.0', b'\x08virt\xff2.0')

    # Wrong JSON types in the VM description.
    def type_null(d):
        device(d, 'serial')['fields'][1]['type'] = None
    streams['vmdesc-field-type-null'] = edit_vmdesc(good, type_null)

    def name_number(d):
        device(d, 'serial')['name'] = 5
    streams['vmdesc-device-name-number'] = edit_vmdesc(good, name_number)

    # The loader's "the source wrote ..." (source_wrote): a refused version, a field name that is a number.
    pos, _ = full_section_body(good, 'serial')
    version_at = pos + 1 + len('serial') + 4
    bumped = good[:version_at] + struct.pack('>I', 9) + good[version_at + 4:]
    def field_name_number(d):
        device(d, 'serial')['fields'][0]['name'] = 5
    streams['vmdesc-field-name-number-version-refused'] = edit_vmdesc(bumped, field_name_number)

    # The loader's layout comparison (first_layout_difference): a refused *_equal field, array_len a string.
    _, body = full_section_body(good, 'virt-board')
    wrong_harts = good[:body] + struct.pack('>I', 2) + good[body + 4:]
    def array_len_string(d):
        device(d, 'virt-board')['fields'][0]['array_len'] = '1'
    streams['vmdesc-array-len-string-equal-refused'] = edit_vmdesc(wrong_harts, array_len_string)

    # Nesting that overflows recursive code (comparison, copies, dump) unless refused at parse time.
    i = vmdesc_at(good)
    text = good[i + 5:].rstrip()
    assert text.endswith(b'}')
    streams['vmdesc-nested-deep'] = with_vmdesc(good, text[:-1] + b', "nested": ' + nested(100000) + b'}')

    # A page size from the JSON that the RAM reader would allocate a page of.
    def huge_page(d):
        d['page_size'] = 1 << 40
    streams['vmdesc-page-size-huge'] = edit_vmdesc(good, huge_page)

    # diff without page hashes keeps a table of 8 bytes per page and block: many blocks of 256 GiB,
    # each sending only its last page, asked for 512 MiB per block.
    ram_start = good.index(b'\x01\0\0\0\0\x03ram')  # START, section id 0, "ram"
    page_bits, huge, blocks = 12, 1 << 38, 12
    ram = b'\x01\0\0\0\0\x03ram' + struct.pack('>II', 0, 4) + struct.pack('>Q', blocks * huge | 0x04)
    for k in range(blocks):
        ram += bytes([len(f'b{k}')]) + f'b{k}'.encode() + struct.pack('>Q', huge)
    ram += struct.pack('>Q', 0x10) + b'\x7e' + struct.pack('>I', 0)  # EOS, footer
    ram += b'\x03' + struct.pack('>I', 0)  # END
    for k in range(blocks):
        ram += struct.pack('>Q', (huge - (1 << page_bits)) | 0x02) + bytes([len(f'b{k}')]) + f'b{k}'.encode() + b'\0'
    ram += struct.pack('>Q', 0x10) + b'\x7e' + struct.pack('>I', 0) + b'\x00'  # EOS, footer, EOF
    desc_text = dumps({'page_size': 4096, 'devices': []})
    streams['ram-many-huge-blocks'] = good[:ram_start] + ram + b'\x06' + struct.pack('>I', len(desc_text)) + desc_text

    # A stream that ends inside the header: the walk stops before any VM description is read.
    streams['truncated-header'] = good[:4]

    for name, data in streams.items():
        plain = out / (name + '.mig')
        plain.write_bytes(data)
        subprocess.run(['zstd', '-q', '-f', '-19', '--rm', str(plain), '-o', str(plain) + '.zst'], check=True)

    # Schemas and destination descriptions (snapshot check, snapshot explain --dest-schema).
    schemas = {
        'schema-name-not-string': {'vmschkmachine': {'Name': 5}},
        'destination-machine-not-string': {'machine': 5, 'vmstate': {}},
        'destination-vmsd-name-not-string': {'vmstate': {}, 'sections': [{'idstr': 'serial', 'vmsd_name': 7}]},
        # Against virt-2.0's serial-mm: "unused" padding against "divider" multiplies size by num.
        'schema-numbers-out-of-range': {
            'vmschkmachine': {'Name': 'virt-2.0'},
            'serial-mm': {'Name': 'serial-mm', 'version_id': 1e300, 'minimum_version_id': -9223372036854775808,
                       'Description': {'name': 'serial', 'version_id': 18446744073709551615, 'minimum_version_id': 1,
                                       'Fields': [{'field': 'unused', 'version_id': 0, 'field_exists': False,
                                                   'size': 9223372036854775807, 'num': 9223372036854775807}]}}},
    }
    for name, j in schemas.items():
        (out / (name + '.json')).write_text(json.dumps(j) + '\n')

    # explain's field walk reading a destination's "field_exists" that is not a bool.
    serial = dest['vmstate']['serial-mm']
    serial['Description']['Fields'].insert(0, {'field': 'extra', 'version_id': 0, 'field_exists': 'yes', 'size': 1})
    deep = '{"vmschkmachine": {"Name": "virt-2.0"}, "serial": {"Name": "serial", "Description": ' + \
        nested(100000).decode() + '}}\n'
    for name, text in {'destination-field-exists-string': json.dumps(dest) + '\n', 'schema-nested-deep': deep}.items():
        plain = out / (name + '.json')
        plain.write_text(text)
        subprocess.run(['zstd', '-q', '-f', '-19', '--rm', str(plain), '-o', str(plain) + '.zst'], check=True)


if __name__ == '__main__':
    main()
