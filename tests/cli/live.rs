//! Live runs end to end: the Python package's own tests, a NumPy loop streaming 30 steps into
//! `sigmascope listen` and into the window's state, and clients that misbehave.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use sigmascope::app::{AppCommand, AppState, Settings};
use sigmascope::stream::{Listener, StreamEvent};
use sigmascope::trajectory::{ArrayValues, read_npz};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> bool {
    common::python_with_numpy()
}

/// The example loop streaming `steps` steps of 1CRN to `address`.
fn stream_loop(address: &str, steps: usize) -> std::process::Output {
    Command::new("python3")
        .arg(root().join("examples/live/numpy_loop.py"))
        .arg(root().join("assets/1crn.pdb"))
        .arg(address)
        .arg(steps.to_string())
        .output()
        .unwrap()
}

#[test]
fn the_python_package_passes_its_own_tests() {
    if !python() {
        return;
    }
    let out = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s"])
        .arg(root().join("python/tests"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("OK"), "{stderr}");
}

#[test]
fn listen_records_a_streamed_loop_to_npz() {
    if !python() {
        return;
    }
    let dir = common::scratch("listen");
    let out = dir.join("run.npz");
    let mut listen = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args(["listen", "--address", "127.0.0.1:0", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(listen.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first.strip_prefix("listening on ").unwrap().to_owned();
    assert!(address.starts_with("127.0.0.1:"), "{first}");
    let client = stream_loop(&address, 30);
    assert!(
        client.status.success(),
        "{}",
        String::from_utf8_lossy(&client.stderr)
    );
    let written = lines.next().unwrap().unwrap();
    assert!(written.contains("30 frames of numpy loop"), "{written}");
    assert!(listen.wait().unwrap().success());
    let arrays = read_npz(&std::fs::read(&out).unwrap()).unwrap();
    let get = |key: &str| &arrays.iter().find(|(n, _)| n == key).unwrap().1;
    assert_eq!(get("x_t").shape, [30, 327, 3]);
    assert_eq!(get("x0_hat").shape, [30, 327, 3]);
    // σ of the loop: 160 (1 − (k + 1)/30)³, the last 0.
    let ArrayValues::Float(sigma) = &get("sigma").values else {
        panic!("float sigma")
    };
    for (k, s) in sigma.iter().enumerate() {
        let want = 160.0 * (1.0 - (k + 1) as f64 / 30.0).powi(3);
        assert!((s - want).abs() < 1e-9 * 160.0, "step {k}: {s} vs {want}");
    }
}

#[test]
fn the_window_shows_a_streamed_run_live_and_keeps_it() {
    if !python() {
        return;
    }
    let mut s = AppState::new(
        common::bundled("1crn"),
        Settings::default(),
        common::cpu().clone(),
        || {},
    );
    s.apply(AppCommand::Listen(true, Some("127.0.0.1:0".to_owned())));
    let address = s.listening_on().unwrap().to_string();
    let client = std::thread::spawn(move || stream_loop(&address, 30));
    let closed = (0..6000).any(|_| {
        s.poll_worker();
        std::thread::sleep(Duration::from_millis(10));
        s.status().is_some_and(|t| t.contains("closed"))
    });
    assert!(client.join().unwrap().status.success());
    assert!(closed, "{:?}", s.status());
    assert_eq!(s.run().frames.len(), 30);
    assert_eq!(
        s.structure().atom_count(),
        327,
        "the same atoms: the structure stays"
    );
    // Measured against 1CRN's own coordinates, the last frame is the truth to the loop's noise.
    let last = s.run().metrics.last().unwrap();
    assert!(last.rmsd < 0.1, "{}", last.rmsd);
    s.apply(AppCommand::Pin);
    assert!(s.pinned().is_some(), "a streamed run can be pinned");
}

/// A raw client: its bytes, then what the listener said back (one line) and reported.
fn hostile(listener: &Listener, events: &mpsc::Receiver<StreamEvent>, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(listener.address).unwrap();
    stream.write_all(bytes).ok();
    stream.shutdown(std::net::Shutdown::Write).ok();
    loop {
        match events.recv_timeout(Duration::from_secs(60)).unwrap() {
            StreamEvent::Refused { reason, .. } => return reason,
            StreamEvent::Started { .. } | StreamEvent::Frame { .. } => {}
            StreamEvent::Closed { .. } => panic!("a hostile client's run closed"),
        }
    }
}

const HELLO: &str = r#"{"protocol":"sigmascope-stream","version":1,"type":"hello","name":"raw","topology":{"kind":"atoms","atom_names":["N","CA"],"residue_numbers":[1,1]}}"#;

fn step(shape: &str, values: &[f32]) -> Vec<u8> {
    let mut bytes = format!(
        "{{\"type\":\"step\",\"sigma\":1.0,\"arrays\":[{{\"name\":\"x_t\",\"dtype\":\"<f4\",\"shape\":{shape}}}]}}\n"
    )
    .into_bytes();
    bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    bytes
}

#[test]
fn clients_that_misbehave_are_refused_and_the_listener_keeps_serving() {
    let (sender, events) = mpsc::channel();
    let address = "127.0.0.1:0".parse().unwrap();
    let listener = Listener::start(address, None, move |e| {
        sender.send(e).ok();
    })
    .unwrap();
    let with_hello = |rest: &[u8]| [format!("{HELLO}\n").as_bytes(), rest].concat();
    let whole = step("[2,3]", &[0.0; 6]);
    let cases: [(&str, Vec<u8>); 6] = [
        (
            "not a sigmascope-stream hello",
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        ),
        ("[2, 3]", with_hello(&step("[3,3]", &[0.0; 9]))),
        (
            "NaN",
            with_hello(&step("[2,3]", &[0.0, f32::NAN, 0.0, 0.0, 0.0, 0.0])),
        ),
        ("longer than", with_hello(&vec![b'x'; 70_000])),
        ("cut short", with_hello(&whole[..whole.len() - 5])),
        ("without closing", with_hello(&step("[2,3]", &[0.0; 6]))),
    ];
    for (said, bytes) in &cases {
        let reason = hostile(&listener, &events, bytes);
        assert!(reason.contains(said), "{said}: {reason}");
        assert!(!reason.contains('\n'), "{reason}");
    }
    // After all of that, a client that speaks the protocol gets its run.
    let mut good = TcpStream::connect(listener.address).unwrap();
    let mut bytes = with_hello(&step("[2,3]", &[0.0, 0.0, 0.0, 1.5, 0.0, 0.0]));
    bytes.extend_from_slice(b"{\"type\":\"close\",\"dropped\":0}\n");
    good.write_all(&bytes).unwrap();
    let mut welcome = String::new();
    BufReader::new(good.try_clone().unwrap())
        .read_line(&mut welcome)
        .unwrap();
    assert!(welcome.contains("\"welcome\""), "{welcome}");
    let mut frames = 0;
    loop {
        match events.recv_timeout(Duration::from_secs(60)).unwrap() {
            StreamEvent::Frame { .. } => frames += 1,
            StreamEvent::Closed { .. } => break,
            StreamEvent::Started { .. } => {}
            StreamEvent::Refused { reason, .. } => panic!("{reason}"),
        }
    }
    assert_eq!(frames, 1);
}

#[test]
fn a_token_is_checked_and_other_addresses_need_one() {
    let (sender, events) = mpsc::channel();
    let listener = Listener::start(
        "127.0.0.1:0".parse().unwrap(),
        Some("s3cret".into()),
        move |e| {
            sender.send(e).ok();
        },
    )
    .unwrap();
    let reason = hostile(&listener, &events, format!("{HELLO}\n").as_bytes());
    assert!(reason.contains("token"), "{reason}");
    let refused = Listener::start("0.0.0.0:0".parse().unwrap(), None, |_| {});
    assert!(refused.err().unwrap().contains("SIGMASCOPE_TOKEN"));
    let out = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args([
            "listen",
            "--address",
            "0.0.0.0:0",
            "--out",
            "/tmp/never.npz",
        ])
        .env_remove("SIGMASCOPE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_recorded_loop_opens_with_its_topology_and_ground_truth() {
    if !python() {
        return;
    }
    let dir = common::scratch("record");
    let (pdb_run, atom37_run) = (dir.join("pdb.npz"), dir.join("atom37.npz"));
    // The same loop recorded with a PDB topology and with AlphaFold2 arrays (GLY backbones).
    let script = format!(
        r#"
import sys; sys.path.insert(0, {python:?})
import numpy as np, sigmascope
sys.path.insert(0, {examples:?})
from numpy_loop import heavy_atoms
truth = heavy_atoms({pdb:?})
rng = np.random.default_rng(1)
with sigmascope.record({pdb_run:?}, topology={pdb:?}) as run:
    for k, s in enumerate([40.0, 10.0, 2.0, 0.0]):
        run.log(truth + s * rng.standard_normal(truth.shape), sigma=s, step=k)
mask = np.zeros((5, 37)); mask[:, [0, 1, 2, 4]] = 1
ca = np.cumsum(np.full((5, 3), 2.2), axis=0)
x = np.zeros((5, 37, 3)); x[:, [0, 1, 2, 4]] = ca[:, None, :] + np.array([[-1.2, 0, 0], [0, 0, 0], [1.2, 0.5, 0], [1.8, 1.4, 0]])
with sigmascope.record({atom37_run:?}, topology={{"aatype": [7] * 5, "atom_mask": mask}}) as run:
    for s in [5.0, 0.0]:
        run.log(x + s * rng.standard_normal(x.shape), sigma=s)
"#,
        python = root().join("python").display().to_string(),
        examples = root().join("examples/live").display().to_string(),
        pdb = root().join("assets/1crn.pdb").display().to_string(),
        pdb_run = pdb_run.display().to_string(),
        atom37_run = atom37_run.display().to_string(),
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let import =
        |path: &Path| sigmascope::trajectory::import_trajectory(path, &Default::default()).unwrap();
    let run = import(&pdb_run);
    assert_eq!(
        run.frames.len(),
        4,
        "the topology's coordinates are the reference, not a frame"
    );
    assert_eq!(run.structure.atom_count(), 327);
    assert!(
        run.source.topology.contains("carries"),
        "{}",
        run.source.topology
    );
    assert_eq!(run.frames[3].sigma, 0.0);
    let s = &run.structure;
    let rmsd = sigmascope::trajectory::trajectory_metrics(s, &s.positions, &run.frames);
    assert!(
        rmsd[0].rmsd > 30.0 && rmsd[3].rmsd < 1e-3,
        "{}",
        rmsd[3].rmsd
    );
    let run = import(&atom37_run);
    assert_eq!(run.structure.atom_count(), 20);
    assert_eq!(run.structure.residues[0].name, "GLY");
    assert_eq!(run.structure.atom_names[..4], ["N", "CA", "C", "O"]);
}
