//! `sigmascope movie`: a run as a GIF (no other program) or an MP4/WebM (through ffmpeg), each frame
//! drawn by the window's renderer, headless, with its frame and σ.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use clap::Args;

use super::LoadArgs;
use super::render::parse_size;
use crate::compute::open_wgpu_device;
use crate::render::{
    ColorMode, HoldSteady, MovieRenderer, MovieSpec, MovieView, encode_gif, encode_with_ffmpeg,
    render_movie,
};
use crate::structure::write_atomic;
use crate::trajectory::{ImportOptions, import_trajectory};

/// Arguments of `movie`.
#[derive(Debug, Args)]
pub struct MovieArgs {
    /// The run: any file `analyze` reads (our tracks and NPZ, other tools' trajectories, a folder).
    pub trajectory: PathBuf,
    /// Structure naming the atoms of an array file that does not name them.
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Atom selection (as the run was written).
    #[command(flatten)]
    pub load: LoadArgs,
    /// The movie: `.gif`, or `.mp4` / `.webm` through ffmpeg.
    #[arg(long)]
    pub out: PathBuf,
    /// Picture size WIDTHxHEIGHT.
    #[arg(long, default_value = "640x480")]
    pub size: String,
    /// Frames a second.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub fps: u32,
    /// Every K-th frame (the last always shown).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub stride: u64,
    /// What is shown of each frame.
    #[arg(long, value_enum, default_value_t = MovieView::Xt)]
    pub view: MovieView,
    /// Atom colours.
    #[arg(long, value_enum, default_value_t = ColorMode::Chain)]
    pub color_by: ColorMode,
    /// Superpose each shown frame onto the previous one, the reference or the last frame.
    #[arg(long, value_enum, default_value_t = HoldSteady::None)]
    pub hold_steady: HoldSteady,
    /// σ_data of the network view, Å.
    #[arg(long, default_value_t = 16.0)]
    pub sigma_data: f64,
}

/// Runs `movie`.
pub fn run(args: &MovieArgs) -> anyhow::Result<()> {
    let size = parse_size(&args.size)?;
    let extension = args
        .out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !["gif", "mp4", "webm"].contains(&extension.as_str()) {
        anyhow::bail!("{}: a movie is .gif, .mp4 or .webm", args.out.display());
    }
    let options = ImportOptions {
        load: args.load.options(),
        topology: args.topology.clone(),
        ..ImportOptions::default()
    };
    let run = import_trajectory(&args.trajectory, &options)?;
    if args.view == MovieView::X0 && run.frames.iter().any(|f| f.x0_hat.is_none()) {
        anyhow::bail!(
            "{} has no x̂0 for every frame: --view x0 needs the predictions",
            args.trajectory.display()
        );
    }
    let spec = MovieSpec {
        size,
        fps: args.fps,
        stride: usize::try_from(args.stride).unwrap_or(usize::MAX),
        view: args.view,
        color_by: args.color_by,
        hold_steady: args.hold_steady,
        sigma_data: args.sigma_data,
    };
    let gpu = open_wgpu_device()?;
    let mut movie = MovieRenderer::new(&gpu.device, &gpu.queue)?;
    let tty = std::io::stderr().is_terminal();
    let pictures = render_movie(
        &mut movie,
        &run.structure,
        &run.frames,
        &spec,
        |done, total| {
            if tty {
                eprint!("\rrendering {done}/{total}");
                std::io::stderr().flush().ok();
            }
            true
        },
    )?
    .unwrap_or_default();
    if tty {
        eprintln!();
    }
    let count = pictures.len();
    if extension == "gif" {
        let mut pictures = pictures;
        let bytes = encode_gif(&mut pictures, size, args.fps).map_err(anyhow::Error::msg)?;
        write_atomic(&args.out, &bytes, &[args.trajectory.as_path()])?;
    } else {
        encode_with_ffmpeg(&pictures, size, args.fps, &args.out).map_err(anyhow::Error::msg)?;
    }
    println!(
        "wrote {} ({count} frames, {}x{}, {} fps, {})",
        args.out.display(),
        size[0],
        size[1],
        args.fps,
        gpu.adapter.get_info().name
    );
    Ok(())
}
