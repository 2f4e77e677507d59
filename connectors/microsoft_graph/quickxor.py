"""QuickXorHash: the content hash OneDrive for Business and SharePoint report
(``file.hashes.quickXorHash``), a 160-bit XOR with an 11-bit shift per byte and the
length folded into the last 8 bytes, base64-encoded."""

from __future__ import annotations

import base64

WIDTH = 160
SHIFT = 11


def quick_xor_hash(data: bytes) -> str:
    # Byte i lands at bit (i * 11) % 160, which depends only on i % 160: fold the
    # content into one 160-byte block first, then place those bytes.
    folded = bytearray(WIDTH)
    for start in range(0, len(data), WIDTH):
        block = data[start:start + WIDTH]
        value = int.from_bytes(folded[:len(block)], "little") ^ int.from_bytes(block, "little")
        folded[:len(block)] = value.to_bytes(len(block), "little")
    acc = 0
    mask = (1 << WIDTH) - 1
    for i, byte in enumerate(folded):
        if byte:
            shift = (i * SHIFT) % WIDTH
            acc ^= ((byte << shift) | (byte >> (WIDTH - shift))) & mask
    out = bytearray(acc.to_bytes(WIDTH // 8, "little"))
    for i, b in enumerate(len(data).to_bytes(8, "little")):
        out[WIDTH // 8 - 8 + i] ^= b
    return base64.b64encode(bytes(out)).decode()
