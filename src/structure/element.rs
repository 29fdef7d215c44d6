//! Chemical elements, parsed once when a structure is read: the few the renderer and the learned
//! denoiser tell apart by name, and any other kept as its symbol so that exports write it back as read.

/// A chemical element (upper-case symbols, as the loader reads them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Element {
    /// Hydrogen.
    H,
    /// Deuterium (hydrogen, as PDB files write it).
    D,
    /// Carbon.
    C,
    /// Nitrogen.
    N,
    /// Oxygen.
    O,
    /// Sulfur.
    S,
    /// Phosphorus.
    P,
    /// Selenium.
    Se,
    /// Iron.
    Fe,
    /// Zinc.
    Zn,
    /// Magnesium.
    Mg,
    /// Calcium (the element; the atom name "CA" is a Cα).
    Ca,
    /// Chlorine.
    Cl,
    /// Sodium.
    Na,
    /// Potassium.
    K,
    /// Any other symbol, as read.
    Other(Box<str>),
}

/// The named elements with their symbols.
const NAMED: [(Element, &str); 15] = [
    (Element::H, "H"),
    (Element::D, "D"),
    (Element::C, "C"),
    (Element::N, "N"),
    (Element::O, "O"),
    (Element::S, "S"),
    (Element::P, "P"),
    (Element::Se, "SE"),
    (Element::Fe, "FE"),
    (Element::Zn, "ZN"),
    (Element::Mg, "MG"),
    (Element::Ca, "CA"),
    (Element::Cl, "CL"),
    (Element::Na, "NA"),
    (Element::K, "K"),
];

impl Element {
    /// The element of an upper-case `symbol`.
    pub fn parse(symbol: &str) -> Self {
        NAMED
            .iter()
            .find(|(_, s)| *s == symbol)
            .map_or_else(|| Self::Other(symbol.into()), |(e, _)| e.clone())
    }

    /// The symbol, as files write it (upper case).
    pub fn symbol(&self) -> &str {
        match self {
            Self::Other(symbol) => symbol,
            named => NAMED
                .iter()
                .find(|(e, _)| e == named)
                .map_or("X", |(_, s)| s),
        }
    }

    /// Hydrogen or deuterium.
    pub fn is_hydrogen(&self) -> bool {
        matches!(self, Self::H | Self::D)
    }
}

impl std::fmt::Display for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip_and_others_stay_as_read() {
        for (element, symbol) in &NAMED {
            assert_eq!(Element::parse(symbol), *element);
            assert_eq!(element.symbol(), *symbol);
        }
        assert_eq!(Element::parse("CA"), Element::Ca);
        assert_eq!(Element::parse("XE").symbol(), "XE");
        assert!(Element::parse("D").is_hydrogen() && !Element::parse("C").is_hydrogen());
    }
}
