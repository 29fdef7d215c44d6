//! The scene: plain data of what the renderer will draw for one frame (no GPU types), built from the
//! structure, the frame's coordinates, the reference and the view options.

use glam::Vec3;

use super::camera::bounding_sphere;
use super::color::{Rgba, chain_color, displacement_color, element_color, rainbow};
use super::tube::{TUBE_RADIUS, tube_pieces};
use crate::structure::{Element, Structure, template_bonds};
use crate::trajectory::Displacements;

/// One sphere to draw (atom, residue centroid, chain centroid or ghost atom).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SphereInstance {
    /// Center, Å.
    pub position: [f32; 3],
    /// Radius, Å.
    pub radius: f32,
    /// Gamma-space RGBA.
    pub color: Rgba,
}

/// One end of a line segment.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LineVertex {
    /// Position (w = 1), Å.
    pub position: [f32; 4],
    /// Gamma-space RGBA.
    pub color: Rgba,
}

/// Which layers are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layers {
    /// Atoms as spheres.
    pub atoms: bool,
    /// Residue centroids as translucent spheres.
    pub residues: bool,
    /// Chain centroids as translucent spheres.
    pub chains: bool,
    /// Backbone trace (consecutive CA, or P for nucleic acids).
    pub trace: bool,
    /// Faint atoms at the reference positions.
    pub ghost: bool,
    /// Displacement arrows of residue and chain centroids.
    pub arrows: bool,
    /// Covalent bonds from residue templates, as lines in the atoms' colours (ball-and-stick).
    #[serde(default)]
    pub bonds: bool,
    /// A smooth Cα tube per chain.
    #[serde(default)]
    pub tube: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Self {
            atoms: true,
            residues: false,
            chains: false,
            trace: true,
            ghost: false,
            arrows: false,
            bonds: false,
            tube: false,
        }
    }
}

impl Layers {
    /// Parses `atoms,residues,chains,trace,ghost,arrows,bonds,tube` (any subset).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut layers = Self {
            atoms: false,
            trace: false,
            ..Self::default()
        };
        for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "atoms" => layers.atoms = true,
                "residues" => layers.residues = true,
                "chains" => layers.chains = true,
                "trace" => layers.trace = true,
                "ghost" => layers.ghost = true,
                "arrows" => layers.arrows = true,
                "bonds" => layers.bonds = true,
                "tube" => layers.tube = true,
                other => {
                    return Err(format!(
                        "unknown layer '{other}': use atoms, residues, chains, trace, ghost, arrows, bonds, tube"
                    ));
                }
            }
        }
        Ok(layers)
    }
}

crate::choice::choices! {
    /// How atoms are colored.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    pub enum ColorMode {
        /// Jmol/CPK by element.
        Element = "element",
        /// Categorical by chain.
        Chain = "chain",
        /// Rainbow along each chain.
        Residue = "residue",
        /// Atom displacement from the reference (viridis from a neutral grey at zero).
        DisplacementAtom = "displacement-atom",
        /// Residue-centroid displacement (viridis from a neutral grey at zero).
        DisplacementResidue = "displacement-residue",
        /// Chain-centroid displacement (viridis from a neutral grey at zero).
        DisplacementChain = "displacement-chain",
        /// Share of the residue's displacement not inherited from its chain (viridis from a neutral grey at zero, 0..1).
        Independent = "independent",
    }
}

/// Where displacement arrows start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArrowsFrom {
    /// From the ground truth.
    #[default]
    GroundTruth,
    /// From the previous frame.
    Previous,
}

/// View options of a scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SceneOptions {
    /// Layers drawn.
    pub layers: Layers,
    /// Color mode of atoms.
    pub color_by: ColorMode,
    /// Start of arrows.
    pub arrows_from: ArrowsFrom,
    /// A residue to outline with a box around its atoms (the heat-map cell last clicked).
    pub outline_residue: Option<usize>,
}

impl Default for SceneOptions {
    fn default() -> Self {
        Self {
            layers: Layers::default(),
            color_by: ColorMode::Element,
            arrows_from: ArrowsFrom::GroundTruth,
            outline_residue: None,
        }
    }
}

/// Value range of a scalar color mode, for the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Legend {
    /// What the colors mean.
    pub label: String,
    /// Value at the low end of the colormap.
    pub min: f32,
    /// Value at the high end.
    pub max: f32,
}

/// Instance counts per layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerCounts {
    /// Atom spheres.
    pub atoms: usize,
    /// Residue-centroid spheres.
    pub residues: usize,
    /// Chain-centroid spheres.
    pub chains: usize,
    /// Trace segments.
    pub trace: usize,
    /// Ghost spheres.
    pub ghost: usize,
    /// Arrow segments.
    pub arrows: usize,
    /// Segments of the residue outline (12 box edges, or 0).
    pub outline: usize,
}

/// Everything the renderer draws for one frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    /// Opaque spheres: the atoms, in atom order (instance i is atom i when the atom layer is on).
    pub opaque_spheres: Vec<SphereInstance>,
    /// Translucent spheres: residue centroids, chain centroids, ghost atoms.
    pub translucent_spheres: Vec<SphereInstance>,
    /// Line-list vertices: trace, arrows, then the residue outline (the last `2 * counts.outline`,
    /// drawn over everything).
    pub lines: Vec<LineVertex>,
    /// Counts per layer.
    pub counts: LayerCounts,
    /// Bounding sphere center of the frame, Å.
    pub center: Vec3,
    /// Bounding sphere radius, Å.
    pub radius: f32,
    /// Legend of scalar color modes.
    pub legend: Option<Legend>,
}

/// Display radius of an atom sphere (about 40% of van der Waals), Å.
pub fn atom_radius(element: &Element) -> f32 {
    match element {
        Element::H | Element::D => 0.5,
        Element::C => 0.7,
        Element::N => 0.65,
        Element::O => 0.6,
        Element::S | Element::P => 0.9,
        _ => 0.8,
    }
}

fn with_alpha(mut c: Rgba, a: f32) -> Rgba {
    c[3] = a;
    c
}

/// Per-atom scalar of a displacement mode, its legend, and per-residue / per-chain values.
struct Scalars {
    atom: Vec<f32>,
    residue: Vec<f32>,
    chain: Vec<f32>,
    legend: Legend,
}

fn scalars(
    s: &Structure,
    mode: ColorMode,
    atoms: &[[f32; 3]],
    reference: &[[f32; 3]],
) -> Option<Scalars> {
    if matches!(
        mode,
        ColorMode::Element | ColorMode::Chain | ColorMode::Residue
    ) {
        return None;
    }
    let d = Displacements::between(s, atoms, reference);
    let legend = |label: &str, values: &[f32]| Legend {
        label: label.to_owned(),
        min: 0.0,
        max: values.iter().copied().fold(0.0f32, f32::max).max(1e-3),
    };
    let chain_per_residue = d.chain_per_residue(s);
    let (atom, residue, legend) = match mode {
        ColorMode::DisplacementAtom => {
            let legend = legend("atom displacement (Å)", &d.atom);
            (d.atom, d.residue, legend)
        }
        ColorMode::DisplacementResidue => {
            let atom = Displacements::per_atom(s, &d.residue);
            let legend = legend("residue displacement (Å)", &atom);
            (atom, d.residue, legend)
        }
        ColorMode::DisplacementChain => {
            let atom = Displacements::per_atom(s, &chain_per_residue);
            let legend = legend("chain displacement (Å)", &atom);
            (atom, chain_per_residue, legend)
        }
        ColorMode::Independent => {
            let atom = Displacements::per_atom(s, &d.residue_beyond_chain);
            let legend = Legend {
                label: "independent residue motion (share)".to_owned(),
                min: 0.0,
                max: 1.0,
            };
            return Some(Scalars {
                atom,
                residue: d.residue_beyond_chain,
                chain: vec![0.0; d.chain.len()],
                legend,
            });
        }
        _ => return None,
    };
    Some(Scalars {
        atom,
        residue,
        chain: d.chain,
        legend,
    })
}

/// Cyan: apart from the viridis, chain and element palettes.
const OUTLINE_COLOR: Rgba = [0.2, 0.95, 1.0, 1.0];

/// Margin of the residue outline around the atom centers, Å (about an atom's display radius).
const OUTLINE_MARGIN: f32 = 1.0;

/// The 12 edges of the axis-aligned box around `points`, padded by the outline margin.
fn residue_box_edges(points: &[[f32; 3]]) -> [[Vec3; 2]; 12] {
    let (lo, hi) = points.iter().fold(
        (Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY)),
        |(lo, hi), p| (lo.min(Vec3::from(*p)), hi.max(Vec3::from(*p))),
    );
    let (lo, hi) = (lo - OUTLINE_MARGIN, hi + OUTLINE_MARGIN);
    // Corner k takes hi on axis a when bit a of k is set; an edge joins corners one bit apart.
    let corner = |k: usize| {
        Vec3::new(
            if k & 1 == 0 { lo.x } else { hi.x },
            if k & 2 == 0 { lo.y } else { hi.y },
            if k & 4 == 0 { lo.z } else { hi.z },
        )
    };
    let mut edges = [[Vec3::ZERO; 2]; 12];
    let mut n = 0;
    for k in 0..8 {
        for bit in [1, 2, 4] {
            if k & bit == 0 {
                edges[n] = [corner(k), corner(k | bit)];
                n += 1;
            }
        }
    }
    edges
}

/// Builds the scene for `atoms` (data frame) against `reference`; `previous` feeds arrows from the previous frame.
pub fn build_scene(
    s: &Structure,
    atoms: &[[f32; 3]],
    reference: &[[f32; 3]],
    previous: Option<&[[f32; 3]]>,
    options: &SceneOptions,
) -> Scene {
    rebuild_scene(Scene::default(), s, atoms, reference, previous, options)
}

/// [`build_scene`] into the buffers of a scene no longer shown: most of a fresh scene's cost is the
/// first touch of its atom instances (32 B an atom), which a recycled scene has paid already.
pub fn rebuild_scene(
    recycled: Scene,
    s: &Structure,
    atoms: &[[f32; 3]],
    reference: &[[f32; 3]],
    previous: Option<&[[f32; 3]]>,
    options: &SceneOptions,
) -> Scene {
    fn cleared<T>(mut v: Vec<T>) -> Vec<T> {
        v.clear();
        v
    }
    let layers = options.layers;
    let scalars = scalars(s, options.color_by, atoms, reference);
    let mut scene = Scene {
        opaque_spheres: cleared(recycled.opaque_spheres),
        translucent_spheres: cleared(recycled.translucent_spheres),
        lines: cleared(recycled.lines),
        counts: LayerCounts::default(),
        center: Vec3::ZERO,
        radius: 1.0,
        legend: scalars.as_ref().map(|v| v.legend.clone()),
    };
    if layers.atoms {
        push_atoms(&mut scene, s, atoms, scalars.as_ref(), options.color_by);
    }
    if layers.tube {
        push_tube(&mut scene, s, atoms, layers.atoms);
    }
    let residues = s.residue_centroids(atoms);
    let chains = s.chain_centroids(&residues);
    if layers.residues || layers.chains {
        push_centroids(
            &mut scene,
            s,
            [&residues, &chains],
            scalars.as_ref(),
            layers,
        );
    }
    if layers.ghost {
        for p in reference {
            scene.translucent_spheres.push(SphereInstance {
                position: *p,
                radius: 0.35,
                color: [0.8, 0.8, 0.85, 0.3],
            });
        }
        scene.counts.ghost = reference.len();
    }
    if layers.trace {
        push_trace(&mut scene, s, atoms);
    }
    if layers.bonds {
        push_bonds(&mut scene, s, atoms, layers.atoms);
    }
    if layers.arrows {
        let start = match (options.arrows_from, previous) {
            (ArrowsFrom::Previous, Some(p)) => p,
            _ => reference,
        };
        push_arrows(&mut scene, s, start, [&residues, &chains]);
    }
    if let Some(r) = options.outline_residue.filter(|r| *r < s.residue_count()) {
        let range = s.residues[r].atoms.clone();
        let box_edges = residue_box_edges(&atoms[range.start as usize..range.end as usize]);
        for [a, b] in box_edges {
            for p in [a, b] {
                scene.lines.push(LineVertex {
                    position: [p.x, p.y, p.z, 1.0],
                    color: OUTLINE_COLOR,
                });
            }
        }
        scene.counts.outline = box_edges.len();
    }
    let (center, radius) = bounding_sphere(atoms);
    scene.center = center;
    scene.radius = radius;
    scene
}

/// Grows the atoms of a scene shown `shown_radius` wide (a noisy frame's cloud, as the camera fits it)
/// by its ratio to `clean_radius`, so that they stay as many pixels wide as in the clean structure;
/// the factor (1 for a view no wider).
pub fn grow_atoms_with_cloud(scene: &mut Scene, shown_radius: f32, clean_radius: f32) -> f32 {
    let grow = (shown_radius / clean_radius.max(1.0)).max(1.0);
    if grow > 1.0 {
        for sphere in scene
            .opaque_spheres
            .iter_mut()
            .chain(&mut scene.translucent_spheres)
        {
            sphere.radius *= grow;
        }
    }
    grow
}

/// The atom spheres, coloured by `color_by` (a displacement's scalars where it has them).
fn push_atoms(
    scene: &mut Scene,
    s: &Structure,
    atoms: &[[f32; 3]],
    scalars: Option<&Scalars>,
    color_by: ColorMode,
) {
    let atom_chain = s.atom_chain();
    let residue_in_chain = |r: usize| {
        let chain = &s.chains[s.residue_chain[r] as usize];
        (r - chain.residues.start as usize) as f32 / (chain.residues.len().max(2) - 1) as f32
    };
    let atom_color = |i: usize| -> Rgba {
        match (scalars, color_by) {
            (Some(v), _) => displacement_color(v.atom[i] / v.legend.max),
            (None, ColorMode::Chain) => chain_color(atom_chain[i] as usize),
            (None, ColorMode::Residue) => rainbow(residue_in_chain(s.atom_residue[i] as usize)),
            (None, _) => element_color(&s.elements[i]),
        }
    };
    scene
        .opaque_spheres
        .extend((0..atoms.len()).map(|i| SphereInstance {
            position: atoms[i],
            radius: atom_radius(&s.elements[i]),
            color: atom_color(i),
        }));
    scene.counts.atoms = atoms.len();
}

/// Residue and chain centroids as larger translucent spheres, in their chain's colour or their scalar's.
fn push_centroids(
    scene: &mut Scene,
    s: &Structure,
    [residues, chains]: [&[[f32; 3]]; 2],
    scalars: Option<&Scalars>,
    layers: Layers,
) {
    if layers.residues {
        for (r, p) in residues.iter().enumerate() {
            let color = scalars.map_or_else(
                || chain_color(s.residue_chain[r] as usize),
                |v| displacement_color(v.residue[r] / v.legend.max),
            );
            scene.translucent_spheres.push(SphereInstance {
                position: *p,
                radius: 1.8,
                color: with_alpha(color, 0.4),
            });
        }
        scene.counts.residues = residues.len();
    }
    if layers.chains {
        for (c, p) in chains.iter().enumerate() {
            let color = scalars.map_or_else(
                || chain_color(c),
                |v| displacement_color(v.chain[c] / v.legend.max),
            );
            scene.translucent_spheres.push(SphereInstance {
                position: *p,
                radius: 4.0,
                color: with_alpha(color, 0.3),
            });
        }
        scene.counts.chains = chains.len();
    }
}

/// The Cα (or nucleic P) trace of every chain, one line between consecutive residues that have one.
fn push_trace(scene: &mut Scene, s: &Structure, atoms: &[[f32; 3]]) {
    let trace_atom = |r: usize| {
        let range = s.residues[r].atoms.clone();
        (range.start as usize..range.end as usize)
            .find(|&i| s.atom_names[i] == "CA" || s.atom_names[i] == "P")
    };
    for chain in &s.chains {
        for r in chain.residues.start as usize..(chain.residues.end as usize).saturating_sub(1) {
            if let (Some(a), Some(b)) = (trace_atom(r), trace_atom(r + 1)) {
                for i in [a, b] {
                    let p = atoms[i];
                    scene.lines.push(LineVertex {
                        position: [p[0], p[1], p[2], 1.0],
                        color: [0.9, 0.9, 0.9, 1.0],
                    });
                }
                scene.counts.trace += 1;
            }
        }
    }
}

/// Each chain's Cα tube as spheres after the atoms (so atom i stays sphere i), each in the colour of
/// its nearer Cα's sphere (chain colours without the atoms layer).
fn push_tube(scene: &mut Scene, s: &Structure, atoms: &[[f32; 3]], colored: bool) {
    for piece in tube_pieces(s, atoms) {
        let color = match scene.opaque_spheres.get(piece.near_atom) {
            Some(sphere) if colored => sphere.color,
            _ => chain_color(piece.chain),
        };
        scene.opaque_spheres.push(SphereInstance {
            position: piece.position,
            radius: TUBE_RADIUS,
            color,
        });
    }
}

/// Each template bond as a line from atom to atom, each end in its atom's colour (grey without the
/// atoms layer).
fn push_bonds(scene: &mut Scene, s: &Structure, atoms: &[[f32; 3]], colored: bool) {
    for [a, b] in template_bonds(s) {
        for i in [a as usize, b as usize] {
            let p = atoms[i];
            let color = match scene.opaque_spheres.get(i) {
                Some(sphere) if colored => sphere.color,
                _ => [0.75, 0.75, 0.75, 1.0],
            };
            scene.lines.push(LineVertex {
                position: [p[0], p[1], p[2], 1.0],
                color,
            });
        }
    }
}

/// An arrow from each residue and chain centroid of `start` to where it is now.
fn push_arrows(
    scene: &mut Scene,
    s: &Structure,
    start: &[[f32; 3]],
    [residues, chains]: [&[[f32; 3]]; 2],
) {
    let start_residues = s.residue_centroids(start);
    let start_chains = s.chain_centroids(&start_residues);
    let arrow = |lines: &mut Vec<LineVertex>, a: [f32; 3], b: [f32; 3], color: Rgba| {
        lines.push(LineVertex {
            position: [a[0], a[1], a[2], 1.0],
            color: with_alpha(color, 0.6),
        });
        lines.push(LineVertex {
            position: [b[0], b[1], b[2], 1.0],
            color,
        });
    };
    for (a, b) in start_residues.iter().zip(residues) {
        arrow(&mut scene.lines, *a, *b, [1.0, 0.85, 0.2, 1.0]);
    }
    for (a, b) in start_chains.iter().zip(chains) {
        arrow(&mut scene.lines, *a, *b, [1.0, 0.3, 0.9, 1.0]);
    }
    scene.counts.arrows = residues.len() + chains.len();
}
