//! `sigmascope inspect`: what a file holds and what the selection kept.

use std::path::PathBuf;

use clap::Args;

use super::{LoadArgs, load_structure};
use crate::structure::Structure;

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Structure file (PDB/mmCIF, optionally .gz).
    pub file: PathBuf,
    /// Model and atom selection.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The figures `inspect` prints, as JSON names scripts rely on.
#[derive(Debug, serde::Serialize)]
pub struct InspectReport {
    /// Display name.
    pub name: String,
    /// `pdb` or `mmcif`.
    pub format: crate::structure::FileFormat,
    /// Models in the file.
    pub models: usize,
    /// The loaded model (1-based).
    pub model: usize,
    /// Atoms kept.
    pub atoms: usize,
    /// Residues kept.
    pub residues: usize,
    /// Chains kept.
    pub chains: usize,
    /// Their ids.
    pub chain_ids: Vec<String>,
    /// Mean atoms per residue.
    pub mean_atoms_per_residue: f64,
    /// The selection used.
    pub selection: crate::structure::Selection,
    /// What it dropped.
    pub dropped: crate::structure::SelectionReport,
    /// Models with the same atoms as the loaded one (ensemble members).
    pub ensemble_models: Vec<usize>,
}

impl InspectReport {
    /// Figures of a loaded structure.
    pub fn of(s: &Structure) -> Self {
        Self {
            name: s.name.clone(),
            format: s.format,
            models: s.model_count,
            model: s.model_number,
            atoms: s.atom_count(),
            residues: s.residue_count(),
            chains: s.chain_count(),
            chain_ids: s.chain_ids(),
            mean_atoms_per_residue: s.mean_atoms_per_residue(),
            selection: s.selection,
            dropped: s.dropped.clone(),
            ensemble_models: s.model_numbers.clone(),
        }
    }

    /// The plain-text form.
    pub fn text(&self) -> String {
        let sel = self.selection;
        let kept = [
            if sel.keep_hydrogens {
                "with hydrogens"
            } else {
                "heavy atoms"
            },
            if sel.keep_water {
                "with water"
            } else {
                "no water"
            },
            if sel.drop_hetero {
                "no hetero groups"
            } else {
                "hetero groups kept"
            },
        ]
        .join(", ");
        let d = &self.dropped;
        format!(
            "structure  {} ({})\nmodels     {} (loaded model {}; {} in the ensemble)\natoms      {}\nresidues   {}\nchains     {} ({})\natoms per residue  {:.2} (mean)\nselection  {kept}\ndropped    {} hydrogen, {} water, {} hetero atom(s); {} alternate location(s) merged\n",
            self.name,
            match self.format {
                crate::structure::FileFormat::Pdb => "PDB",
                crate::structure::FileFormat::Mmcif => "mmCIF",
            },
            self.models,
            self.model,
            self.ensemble_models.len(),
            self.atoms,
            self.residues,
            self.chains,
            self.chain_ids.join(", "),
            self.mean_atoms_per_residue,
            d.hydrogens,
            d.water_atoms,
            d.hetero_atoms,
            d.alternate_locations,
        )
    }
}

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let structure = load_structure(&args.file, &args.load)?;
    let report = InspectReport::of(&structure);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}
