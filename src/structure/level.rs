//! The three levels of the hierarchy every figure is measured at.

crate::choice::choices! {
    /// A level of the hierarchy: atoms, residue centroids or chain centroids.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Level {
        /// Atoms.
        Atom = "atom",
        /// Residue centroids.
        Residue = "residue",
        /// Chain centroids.
        Chain = "chain",
    }
}
