//! Color palettes: Jmol/CPK by element, a categorical palette by chain, a rainbow along each chain, and
//! viridis for scalar values. Colors are gamma-space RGBA in 0..1.

/// A gamma-space RGBA color.
pub type Rgba = [f32; 4];

fn hex(rgb: u32) -> Rgba {
    [
        ((rgb >> 16) & 0xff) as f32 / 255.0,
        ((rgb >> 8) & 0xff) as f32 / 255.0,
        (rgb & 0xff) as f32 / 255.0,
        1.0,
    ]
}

/// Jmol's CPK colors for the common elements of biomolecules; others are pink (Jmol's default).
pub fn element_color(element: &crate::structure::Element) -> Rgba {
    use crate::structure::Element;
    hex(match element {
        Element::H | Element::D => 0xFFFFFF,
        Element::C => 0x909090,
        Element::N => 0x3050F8,
        Element::O => 0xFF0D0D,
        Element::S => 0xFFFF30,
        Element::P => 0xFF8000,
        Element::Fe => 0xE06633,
        Element::Mg => 0x8AFF00,
        Element::Zn => 0x7D80B0,
        Element::Ca => 0x3DFF00,
        Element::Na => 0xAB5CF2,
        Element::Cl => 0x1FF01F,
        Element::K => 0x8F40D4,
        Element::Se => 0xFFA100,
        Element::Other(_) => 0xFF1493,
    })
}

/// A categorical palette (Tableau 10) by chain index.
pub fn chain_color(chain: usize) -> Rgba {
    const PALETTE: [u32; 10] = [
        0x4E79A7, 0xF28E2B, 0xE15759, 0x76B7B2, 0x59A14F, 0xEDC948, 0xB07AA1, 0xFF9DA7, 0x9C755F,
        0xBAB0AC,
    ];
    hex(PALETTE[chain % PALETTE.len()])
}

/// Hue from blue (t = 0, chain start) through green to red (t = 1, chain end).
pub fn rainbow(t: f32) -> Rgba {
    let hue = (1.0 - t.clamp(0.0, 1.0)) * 240.0;
    let x = 1.0 - ((hue / 60.0) % 2.0 - 1.0).abs();
    let (r, g, b) = match (hue / 60.0) as u32 {
        0 => (1.0, x, 0.0),
        1 => (x, 1.0, 0.0),
        2 => (0.0, 1.0, x),
        3 => (0.0, x, 1.0),
        _ => (x, 0.0, 1.0),
    };
    [r, g, b, 1.0]
}

/// Viridis (matplotlib), sampled at 9 stops and interpolated linearly; t in 0..1.
pub fn viridis(t: f32) -> Rgba {
    const STOPS: [u32; 9] = [
        0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30, 0xFDE725,
    ];
    let x = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f32;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f32;
    let (a, b) = (hex(STOPS[i]), hex(STOPS[i + 1]));
    std::array::from_fn(|k| a[k] + (b[k] - a[k]) * f)
}

/// A displacement's colour: neutral grey at zero, blending into viridis over the first tenth of the
/// scale, so that a structure that has not moved reads as uncoloured rather than as the palette's purple.
pub fn displacement_color(t: f32) -> Rgba {
    const NEUTRAL: Rgba = [0.62, 0.62, 0.64, 1.0];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let w = (t / 0.1).min(1.0);
    let v = viridis(t);
    std::array::from_fn(|k| NEUTRAL[k] + (v[k] - NEUTRAL[k]) * w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palettes_hit_their_ends() {
        assert_eq!(element_color(&crate::structure::Element::O), hex(0xFF0D0D));
        assert_eq!(viridis(0.0), hex(0x440154));
        assert_eq!(viridis(1.0), hex(0xFDE725));
        assert_eq!(displacement_color(0.0), [0.62, 0.62, 0.64, 1.0]);
        let (past, v) = (displacement_color(0.5), viridis(0.5));
        assert!(
            (0..4).all(|k| (past[k] - v[k]).abs() < 1e-6),
            "viridis past the first tenth"
        );
        let early = displacement_color(0.05);
        assert!(early[0] > viridis(0.05)[0], "greyer than viridis near zero");
        assert_eq!(rainbow(0.0), [0.0, 0.0, 1.0, 1.0]);
        assert_eq!(rainbow(1.0), [1.0, 0.0, 0.0, 1.0]);
        assert_ne!(chain_color(0), chain_color(1));
    }
}
