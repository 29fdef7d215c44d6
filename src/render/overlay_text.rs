//! Labels burnt into rendered pictures (a movie's frame, σ and step): a 5×7 bitmap font of the
//! characters the labels use, drawn with a dark outline so they read on any background.

/// Glyph rows, top first; bit 4 is the leftmost column.
const GLYPHS: [(char, [u8; 7]); 39] = [
    ('0', [14, 17, 19, 21, 25, 17, 14]),
    ('1', [4, 12, 4, 4, 4, 4, 14]),
    ('2', [14, 17, 1, 2, 4, 8, 31]),
    ('3', [30, 1, 1, 14, 1, 1, 30]),
    ('4', [2, 6, 10, 18, 31, 2, 2]),
    ('5', [31, 16, 30, 1, 1, 17, 14]),
    ('6', [6, 8, 16, 30, 17, 17, 14]),
    ('7', [31, 1, 2, 4, 8, 8, 8]),
    ('8', [14, 17, 17, 14, 17, 17, 14]),
    ('9', [14, 17, 17, 15, 1, 2, 12]),
    ('.', [0, 0, 0, 0, 0, 12, 12]),
    ('/', [1, 1, 2, 4, 8, 16, 16]),
    ('-', [0, 0, 0, 31, 0, 0, 0]),
    (':', [0, 12, 12, 0, 12, 12, 0]),
    ('=', [0, 0, 31, 0, 31, 0, 0]),
    (' ', [0; 7]),
    ('A', [14, 17, 17, 31, 17, 17, 17]),
    ('B', [30, 17, 17, 30, 17, 17, 30]),
    ('C', [14, 17, 16, 16, 16, 17, 14]),
    ('D', [30, 17, 17, 17, 17, 17, 30]),
    ('E', [31, 16, 16, 30, 16, 16, 31]),
    ('F', [31, 16, 16, 30, 16, 16, 16]),
    ('G', [14, 17, 16, 23, 17, 17, 15]),
    ('H', [17, 17, 17, 31, 17, 17, 17]),
    ('I', [14, 4, 4, 4, 4, 4, 14]),
    ('K', [17, 18, 20, 24, 20, 18, 17]),
    ('L', [16, 16, 16, 16, 16, 16, 31]),
    ('M', [17, 27, 21, 21, 17, 17, 17]),
    ('N', [17, 17, 25, 21, 19, 17, 17]),
    ('O', [14, 17, 17, 17, 17, 17, 14]),
    ('P', [30, 17, 17, 30, 16, 16, 16]),
    ('R', [30, 17, 17, 30, 20, 18, 17]),
    ('S', [15, 16, 16, 14, 1, 1, 30]),
    ('T', [31, 4, 4, 4, 4, 4, 4]),
    ('U', [17, 17, 17, 17, 17, 17, 14]),
    ('V', [17, 17, 17, 17, 17, 10, 4]),
    ('W', [17, 17, 17, 21, 21, 21, 10]),
    ('X', [17, 17, 10, 4, 10, 17, 17]),
    ('Y', [17, 17, 10, 4, 4, 4, 4]),
];

fn glyph(c: char) -> [u8; 7] {
    let c = c.to_ascii_uppercase();
    GLYPHS
        .iter()
        .find(|(g, _)| *g == c)
        .map_or([0; 7], |(_, rows)| *rows)
}

/// Draws `text` into tightly packed RGBA8 rows of `width` pixels, its top left at (`x`, `y`), each font
/// pixel `scale` pixels square, white on a dark outline; what falls outside is clipped.
pub fn draw_text(rgba: &mut [u8], width: u32, x: u32, y: u32, scale: u32, text: &str) {
    let height = (rgba.len() / 4) as u32 / width.max(1);
    let mut put = |px: i64, py: i64, color: [u8; 3]| {
        if px >= 0 && py >= 0 && (px as u32) < width && (py as u32) < height {
            let at = ((py as u32 * width + px as u32) * 4) as usize;
            rgba[at..at + 3].copy_from_slice(&color);
            rgba[at + 3] = 255;
        }
    };
    let scale = i64::from(scale.max(1));
    for pass in [[20u8, 20, 24], [255, 255, 255]] {
        let grow = if pass[0] == 255 { 0 } else { 1 };
        for (k, c) in text.chars().enumerate() {
            let left = i64::from(x) + k as i64 * 6 * scale;
            for (row, bits) in glyph(c).iter().enumerate() {
                for col in 0..5 {
                    if bits & (16 >> col) == 0 {
                        continue;
                    }
                    let (gx, gy) = (left + col * scale, i64::from(y) + row as i64 * scale);
                    for dy in -grow..scale + grow {
                        for dx in -grow..scale + grow {
                            put(gx + dx, gy + dy, pass);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lights_pixels_where_its_glyphs_are() {
        let (w, h) = (40u32, 12u32);
        let mut rgba = vec![0u8; (w * h * 4) as usize];
        draw_text(&mut rgba, w, 1, 1, 1, "1");
        let white = |x: u32, y: u32| rgba[((y * w + x) * 4) as usize] == 255;
        // "1": the top row's middle pixel, the foot's three, nothing far right.
        assert!(white(1 + 2, 1));
        assert!(white(1 + 1, 7) && white(1 + 2, 7) && white(1 + 3, 7));
        assert!(!white(30, 5));
        // Text past the edge is clipped, not a panic.
        draw_text(&mut rgba, w, 38, 10, 3, "SIGMA 80.0");
    }
}
