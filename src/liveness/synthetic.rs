//! A synthetic head for the liveness unit tests: a few FaceMesh points placed where a face has
//! them (outline, forehead, chin, nose, eyes), the rest spread over an ellipsoid, seen by a
//! pinhole camera. (The eye opening comes from the iris model, not from these points.)

use crate::landmarks::{Mesh, Point3};

/// The head's points in its own frame (x right in the image, y down, z away from the camera).
fn model() -> Vec<Point3> {
    let mut points: Vec<Point3> = (0..468)
        .map(|i| {
            let a = i as f32 * 2.399_963; // golden angle: spread over the disc
            let r = (i as f32 / 468.0).sqrt() * 0.95;
            let (x, y) = (r * a.cos() * 70.0, r * a.sin() * 90.0);
            Point3 { x, y, z: -60.0 * (1.0 - r * r).sqrt() }
        })
        .collect();
    let mut put = |i: usize, x: f32, y: f32, z: f32| points[i] = Point3 { x, y, z };
    for (i, x, y, z) in
        [(234, -70.0, 0.0, -5.0), (454, 70.0, 0.0, -5.0), (10, 0.0, -90.0, -25.0), (152, 0.0, 95.0, -25.0)]
    {
        put(i, x, y, z);
    }
    for (i, x, y, z) in [(1, 0.0, 10.0, -95.0), (2, 0.0, 22.0, -80.0), (6, 0.0, -25.0, -72.0), (168, 0.0, -35.0, -68.0)]
    {
        put(i, x, y, z);
    }
    for side in [-1.0f32, 1.0] {
        let (outer, inner) = if side < 0.0 { (33, 133) } else { (263, 362) };
        put(outer, side * 50.0, -30.0, -45.0);
        put(inner, side * 18.0, -30.0, -55.0);
    }
    points
}

/// The head turned by `yaw` (towards the person's left) and `pitch` (up), degrees, seen by a
/// camera 600 px away and placed at (320, 240) plus `shift`.
pub fn head(yaw: f32, pitch: f32, shift: (f32, f32)) -> Mesh {
    let (sy, cy) = yaw.to_radians().sin_cos();
    let (sp, cp) = pitch.to_radians().sin_cos();
    let points = model()
        .into_iter()
        .map(|p| {
            // Yaw about the vertical axis: the nose (-z) moves to +x, the image-right cheek away.
            let (x, z) = (cy * p.x - sy * p.z, sy * p.x + cy * p.z);
            // Pitch about the horizontal axis: the nose moves up (-y), the chin (+y) nearer.
            let (y, z) = (cp * p.y + sp * z, -sp * p.y + cp * z);
            project(Point3 { x, y, z }, shift)
        })
        .collect();
    Mesh::new(points, 1.0).expect("468 points")
}

/// A picture of the head's frontal points on paper bent round a cylinder (its axis `axis`
/// degrees from the image's vertical, `radius` px, the paper's middle nearest the camera),
/// turned by `yaw` and `pitch` like [`head`].
pub fn surface(axis: f32, radius: f32, yaw: f32, pitch: f32) -> Mesh {
    let (sa, ca) = axis.to_radians().sin_cos();
    let (sy, cy) = yaw.to_radians().sin_cos();
    let (sp, cp) = pitch.to_radians().sin_cos();
    let points = model()
        .into_iter()
        .map(|p| {
            // Across the axis the paper's arc s becomes R sin(s/R) and recedes by R (1 - cos(s/R)).
            let (s, t) = (ca * p.x + sa * p.y, -sa * p.x + ca * p.y);
            let (s, z) = (radius * (s / radius).sin(), radius * (1.0 - (s / radius).cos()) - 60.0);
            let (x, y) = (ca * s - sa * t, sa * s + ca * t);
            let (x, z) = (cy * x - sy * z, sy * x + cy * z);
            let (y, z) = (cp * y + sp * z, -sp * y + cp * z);
            project(Point3 { x, y, z }, (0.0, 0.0))
        })
        .collect();
    Mesh::new(points, 1.0).expect("468 points")
}

fn project(p: Point3, shift: (f32, f32)) -> Point3 {
    let k = 600.0 / (600.0 + p.z);
    Point3 { x: 320.0 + shift.0 + p.x * k, y: 240.0 + shift.1 + p.y * k, z: p.z }
}
