//! `sigmascope movie`: a run as a GIF with no other program, read back frame by frame.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::Command;

fn sigmascope(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args(args)
        .output()
        .unwrap()
}

/// Each frame of a GIF as RGBA, with its size and delay.
fn gif_frames(path: &Path) -> Vec<(u16, u16, u16, Vec<u8>)> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::io::Cursor::new(std::fs::read(path).unwrap()))
        .unwrap();
    let mut frames = Vec::new();
    while let Some(f) = decoder.read_next_frame().unwrap() {
        frames.push((f.width, f.height, f.delay, f.buffer.to_vec()));
    }
    frames
}

#[test]
fn a_sampled_run_becomes_a_gif_of_its_frames() {
    let dir = common::scratch("movie");
    let track = dir.join("run.cif");
    let one_crn = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/1crn.pdb");
    let out = sigmascope(&[
        "sample",
        one_crn.to_str().unwrap(),
        "--preset",
        "boltz2",
        "--steps",
        "8",
        "--device",
        "cpu",
        "--out",
        track.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gif = dir.join("run.gif");
    let movie = |extra: &[&str]| {
        let mut args = vec![
            "movie",
            track.to_str().unwrap(),
            "--out",
            gif.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        sigmascope(&args)
    };
    let out = movie(&["--size", "160x120", "--fps", "5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&gif).unwrap().starts_with(b"GIF89a"));
    let frames = gif_frames(&gif);
    // The track holds the ground truth (MODEL 0) and the start plus 8 steps: 9 frames.
    assert_eq!(frames.len(), 9);
    assert!(
        frames.iter().all(|f| (f.0, f.1, f.2) == (160, 120, 20)),
        "5 fps = 20 hundredths"
    );
    assert_ne!(
        frames[0].3, frames[8].3,
        "the noisiest and the clean frame differ"
    );
    // Every fourth frame and the last; side by side with the predictions the width is still 160.
    assert!(
        movie(&["--size", "160x120", "--stride", "4", "--view", "split"])
            .status
            .success()
    );
    let frames = gif_frames(&gif);
    assert_eq!(frames.len(), 3);
    assert_eq!((frames[0].0, frames[0].1), (160, 120));
}

#[test]
fn movies_that_cannot_be_made_say_why_in_one_line() {
    let dir = common::scratch("movie-refused");
    let steps = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tools/steps");
    let one_line = |out: std::process::Output, says: &str| {
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    };
    let run = steps.to_str().unwrap();
    let out = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    one_line(
        sigmascope(&["movie", run, "--out", &out("m.avi")]),
        ".gif, .mp4 or .webm",
    );
    one_line(
        sigmascope(&["movie", run, "--out", &out("m.gif"), "--view", "x0"]),
        "x̂0",
    );
    let has_ffmpeg = Command::new("ffmpeg").arg("-version").output().is_ok();
    let mp4 = sigmascope(&["movie", run, "--out", &out("m.mp4"), "--size", "64x48"]);
    if has_ffmpeg {
        assert!(mp4.status.success());
        assert!(std::fs::metadata(out("m.mp4")).unwrap().len() > 0);
    } else {
        one_line(mp4, "ffmpeg");
    }
}
