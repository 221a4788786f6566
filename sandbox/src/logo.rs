//! Equity logos: a small valid PNG per symbol (a mirrored 5x5 "identicon" on a 20x20 canvas),
//! deterministic from the seed and the symbol, encoded without any image library (stored deflate
//! blocks, CRC-32 and Adler-32 computed here).

use crate::market::mix;

/// Side of the square logo, in pixels.
pub const LOGO_SIZE: u32 = 20;

/// The PNG bytes of the logo of `symbol` for this seed.
pub fn logo_png(seed: u64, symbol: &str) -> Vec<u8> {
    let mut h = mix(seed ^ 0x4C4F_474F);
    for b in symbol.to_ascii_uppercase().bytes() {
        h = mix(h ^ u64::from(b));
    }
    let colour = [
        64 + (h & 0x7F) as u8,
        64 + ((h >> 8) & 0x7F) as u8,
        64 + ((h >> 16) & 0x7F) as u8,
    ];
    let background = [0xF4, 0xF4, 0xF4];
    let cell = LOGO_SIZE / 5;
    let mut raw = Vec::with_capacity(((LOGO_SIZE * 3 + 1) * LOGO_SIZE) as usize);
    for y in 0..LOGO_SIZE {
        raw.push(0); // filter type: none
        for x in 0..LOGO_SIZE {
            let (cx, cy) = (x / cell, y / cell);
            let mirrored = cx.min(4 - cx);
            let bit = 24 + cy * 3 + mirrored;
            let on = (h >> bit) & 1 == 1;
            raw.extend_from_slice(if on { &colour } else { &background });
        }
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&LOGO_SIZE.to_be_bytes());
    header.extend_from_slice(&LOGO_SIZE.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// CRC-32 (ISO-HDLC, as PNG uses).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_reference_value() {
        // CRC of "IEND" with no data, as in every PNG file.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn logos_are_deterministic_and_differ_by_symbol() {
        let a = logo_png(42, "AAPL");
        assert_eq!(a, logo_png(42, "aapl"));
        assert_ne!(a, logo_png(42, "MSFT"));
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(a.ends_with(&[0xAE, 0x42, 0x60, 0x82]));
    }
}
