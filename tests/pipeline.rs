//! The full pipeline on real images: detection geometry, face selection errors, and
//! separation of same and different people on LFW.
#![cfg(not(target_arch = "wasm32"))] // native only: the browser tests are tests/web.rs

mod common;

use common::{fixture, lfw, lfw_frame};
use facegate::eval::parse_pairs;
use facegate::{Error, Frame, Pipeline, PipelineOptions, PixelFormat, Selection, Threshold};
use std::sync::OnceLock;

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| Pipeline::new().unwrap())
}

fn astronaut() -> Frame {
    Frame::decode(&fixture("astronaut.png")).unwrap()
}

/// A sub-rectangle of a frame, as a new frame.
fn crop(frame: &Frame, x: u32, y: u32, w: u32, h: u32) -> Frame {
    let stride = frame.width() as usize * 3;
    let start = y as usize * stride + x as usize * 3;
    Frame::from_pixels(&frame.rgb()[start..], w, h, stride, PixelFormat::Rgb).unwrap()
}

/// Two frames side by side.
fn side_by_side(a: &Frame, b: &Frame) -> Frame {
    assert_eq!(a.height(), b.height());
    let mut data = Vec::new();
    let (wa, wb) = (a.width() as usize * 3, b.width() as usize * 3);
    for y in 0..a.height() as usize {
        data.extend_from_slice(&a.rgb()[y * wa..(y + 1) * wa]);
        data.extend_from_slice(&b.rgb()[y * wb..(y + 1) * wb]);
    }
    Frame::from_pixels(&data, a.width() + b.width(), a.height(), wa + wb, PixelFormat::Rgb).unwrap()
}

#[test]
fn finds_the_astronauts_face_with_landmarks_in_place() {
    let faces = pipeline().faces(&astronaut()).unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let f = &faces[0];
    // Eileen Collins' face is about 95 px wide around (225, 130) in the 512x512 portrait.
    let c = f.bbox.center();
    assert!((c.x - 225.0).abs() < 15.0 && (c.y - 128.0).abs() < 15.0, "{f:?}");
    assert!((80.0..120.0).contains(&f.bbox.width), "{f:?}");
    let [left_eye, right_eye, nose, mouth, ..] = f.keypoints;
    assert!(left_eye.x < right_eye.x && (left_eye.y - right_eye.y).abs() < 12.0);
    assert!(nose.y > left_eye.y && mouth.y > nose.y);
    assert!(f.detection_score > 0.75);
}

#[test]
fn letterboxing_keeps_coordinates_of_non_square_frames() {
    let full = astronaut();
    let reference = pipeline().faces(&full).unwrap()[0].bbox;
    // A wide and a tall crop that both contain the face: the box must move with the crop.
    for (x, y, w, h) in [(100, 40, 400, 200), (150, 0, 180, 400)] {
        let faces = pipeline().faces(&crop(&full, x, y, w, h)).unwrap();
        assert_eq!(faces.len(), 1, "crop {x},{y} {w}x{h}: {faces:?}");
        let b = faces[0].bbox;
        let (dx, dy) = (b.x + x as f32 - reference.x, b.y + y as f32 - reference.y);
        assert!(dx.abs() < 8.0 && dy.abs() < 8.0, "crop {x},{y} {w}x{h}: off by ({dx}, {dy})");
        assert!((b.width / reference.width - 1.0).abs() < 0.15, "{b:?} vs {reference:?}");
    }
}

#[test]
fn selection_errors_name_what_is_wrong() {
    let p = pipeline();
    let cat = Frame::decode(&fixture("chelsea.png")).unwrap();
    assert!(matches!(p.describe(&cat, Selection::Single), Err(Error::NoFace)));

    let head = crop(&astronaut(), 150, 40, 160, 180);
    let two = side_by_side(&head, &head);
    assert!(matches!(p.describe(&two, Selection::Single), Err(Error::MultipleFaces { count: 2 })));
    assert!(p.describe(&two, Selection::Largest).is_ok());

    let strict = Pipeline::with_options(PipelineOptions { min_face: 300, ..PipelineOptions::default() }).unwrap();
    match strict.describe(&astronaut(), Selection::Single) {
        Err(Error::FaceTooSmall { size, min: 300 }) => assert!((80..120).contains(&size)),
        other => panic!("expected FaceTooSmall, got {other:?}"),
    }
}

/// LFW's subject is the centred face; in Julianna_Margulies_0002 a larger bystander stands to
/// the right (one of the 35 pairs.txt images where the two selections differ).
#[test]
fn centre_selection_takes_the_centred_subject_where_largest_takes_a_bystander() {
    let p = pipeline();
    let photo = lfw_frame("Julianna_Margulies", 2);
    let (centre, largest) =
        (p.select(&photo, Selection::Centre).unwrap(), p.select(&photo, Selection::Largest).unwrap());
    let mid = |f: &facegate::Face| f.bbox.center();
    assert!((mid(&centre).x - 125.0).abs() < 20.0 && (mid(&largest).x - 125.0).abs() > 60.0, "{centre:?} {largest:?}");
    assert!(largest.bbox.area() > centre.bbox.area());
    assert!(matches!(p.select(&photo, Selection::Single), Err(Error::MultipleFaces { .. })));
    // The centred face is the person of her other photo; the bystander is not.
    let other = p.describe(&lfw_frame("Julianna_Margulies", 1), Selection::Centre).unwrap().embedding;
    let (c, l) = (p.embed(&photo, &centre).unwrap().cosine(&other), p.embed(&photo, &largest).unwrap().cosine(&other));
    assert!(c >= Threshold::DEFAULT.cosine && l < Threshold::DEFAULT.cosine, "centre {c:.3}, largest {l:.3}");
}

#[test]
fn same_people_score_above_the_threshold_and_different_people_below() {
    let pairs = parse_pairs(&std::fs::read_to_string(lfw().join("pairs.txt")).unwrap()).unwrap();
    // The first 15 matched and 15 mismatched pairs of fold 1.
    let chosen = pairs.iter().take(15).chain(pairs.iter().skip(300).take(15));
    let (mut right, mut same_sum, mut diff_sum) = (0, 0.0, 0.0);
    for pair in chosen {
        let emb = |i: &facegate::eval::LfwImage| {
            pipeline().describe(&lfw_frame(&i.name, i.number), Selection::Centre).unwrap().embedding
        };
        let score = emb(&pair.a).cosine(&emb(&pair.b));
        if pair.same {
            same_sum += score;
        } else {
            diff_sum += score;
        }
        right += usize::from((score >= Threshold::DEFAULT.cosine) == pair.same);
    }
    let (same_mean, diff_mean) = (same_sum / 15.0, diff_sum / 15.0);
    assert!(same_mean - diff_mean > 0.4, "same {same_mean:.3}, different {diff_mean:.3}");
    assert!(right >= 28, "{right} of 30 pairs decided right");
}

#[test]
fn flip_and_landmark_options_change_the_embedding_but_not_the_identity() {
    let frame = lfw_frame("George_W_Bush", 1);
    let other = lfw_frame("George_W_Bush", 2);
    let mut scores = Vec::new();
    for opts in [
        PipelineOptions::default(),
        PipelineOptions { flip: false, ..PipelineOptions::default() },
        PipelineOptions { landmarks: facegate::LandmarkSource::BlazeFace, ..PipelineOptions::default() },
    ] {
        let p = Pipeline::with_options(opts).unwrap();
        let a = p.describe(&frame, Selection::Largest).unwrap().embedding;
        let b = p.describe(&other, Selection::Largest).unwrap().embedding;
        scores.push(a.cosine(&b));
    }
    assert!(scores.iter().all(|&s| s > 0.6), "{scores:?}");
    assert!(scores[0] != scores[1] && scores[0] != scores[2], "{scores:?}");
}

#[test]
fn a_probe_completes_to_the_flipped_embedding_and_its_first_step_is_the_unflipped_one() {
    let frame = lfw_frame("George_W_Bush", 1);
    let (face, probe) = pipeline().probe(&frame, Selection::Largest).unwrap();
    let described = pipeline().describe(&frame, Selection::Largest).unwrap();
    assert_eq!(face, described.face);
    assert_eq!(pipeline().complete(&probe).unwrap(), described.embedding, "bit for bit");
    let unflipped = Pipeline::with_options(PipelineOptions { flip: false, ..PipelineOptions::default() }).unwrap();
    assert_eq!(probe.quick(), &unflipped.describe(&frame, Selection::Largest).unwrap().embedding);
    assert!(probe.quick() != &described.embedding);
    let (_, once) = unflipped.probe(&frame, Selection::Largest).unwrap();
    assert_eq!(&unflipped.complete(&once).unwrap(), once.quick(), "no mirror pass without flip");
}

#[test]
fn profile_times_each_stage_in_order_and_passes_errors_on() {
    use facegate::profile::profile;
    use std::cell::Cell;
    // A clock that advances by the call: reading 1 ms, detect 2, landmarks 3, embed 4.
    let ticks = Cell::new(0.0);
    let steps = [1.0, 2.0, 3.0, 4.0, 0.0];
    let calls = Cell::new(0usize);
    let clock = || {
        let now = ticks.get();
        ticks.set(now + steps[calls.get() % 5]);
        calls.set(calls.get() + 1);
        now
    };
    let times = profile(pipeline(), Selection::Single, 3, || Ok::<_, Error>(astronaut()), clock).unwrap();
    assert_eq!(calls.get(), 4 * 5, "a warm-up and three timed passes, five clock reads each");
    let medians = [times.read, times.detect, times.landmarks_align, times.embed, times.total].map(|s| s.median_ms);
    assert_eq!(medians, [1.0, 2.0, 3.0, 4.0, 9.0]);
    assert_eq!((times.runs, times.flip), (3, true));
    // Real clock: every stage takes time, embedding (twice, with flip) the most.
    let start = std::time::Instant::now();
    let real = profile(
        pipeline(),
        Selection::Single,
        2,
        || Ok::<_, Error>(astronaut()),
        || start.elapsed().as_secs_f64() * 1e3,
    )
    .unwrap();
    assert!(real.detect.median_ms > 0.0 && real.embed.median_ms > real.detect.median_ms, "{real:?}");
    // Errors: bad run counts, and the pipeline's own (no face in a blank frame).
    for runs in [0, facegate::profile::MAX_RUNS + 1] {
        let err = profile(pipeline(), Selection::Single, runs, || Ok::<_, Error>(astronaut()), || 0.0).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
    let blank = Frame::from_pixels(&[128; 200 * 200 * 3], 200, 200, 600, PixelFormat::Rgb).unwrap();
    let err = profile(pipeline(), Selection::Single, 1, || Ok::<_, Error>(blank.clone()), || 0.0).unwrap_err();
    assert!(matches!(err, Error::NoFace), "{err}");
}
