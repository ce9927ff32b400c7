//! A photo held up as a flat card: a plane in front of the pinhole camera, so every frame is a
//! plane projective transform (homography) of the photo.

use super::camera::{rotate, Camera};
use super::motion::Pose;
use super::scene::{Image, Placement};
use facegate::geometry::Homography;

/// Where the photo (continuous pixel coordinates, pixel (i, j) covering [i, i+1) x [j, j+1))
/// lands in the frame when the card is in `pose`: the card is the photo at `placement`'s size at
/// the depth where the scene shows one unit per pixel, centred on the camera's axis, turned about
/// its centre by the pose's angles, shifted by (dx, dy) pixels and scaled by `scale`.
pub fn homography(pose: &Pose, photo: &Image, placement: Placement, camera: &Camera) -> Homography {
    let size = placement.scale * pose.scale;
    let (hw, hh) = (photo.width as f64 / 2.0, photo.height as f64 / 2.0);
    let ex = rotate(pose, [size, 0.0, 0.0]);
    let ey = rotate(pose, [0.0, size, 0.0]);
    let centre = [pose.dx, pose.dy, camera.focal];
    let origin: [f64; 3] = std::array::from_fn(|k| centre[k] - hw * ex[k] - hh * ey[k]);
    let k = |v: [f64; 3]| [camera.focal * v[0] + camera.cx * v[2], camera.focal * v[1] + camera.cy * v[2], v[2]];
    let (c0, c1, c2) = (k(ex), k(ey), k(origin));
    Homography([c0[0], c1[0], c2[0], c0[1], c1[1], c2[1], c0[2], c1[2], c2[2]])
}

/// Draws `photo` through `h` over `target` (hard edges, as a printed photo has).
pub fn draw(photo: &Image, h: &Homography, target: &mut Image) {
    let Some(back) = h.inverse() else { return };
    let (pw, ph) = (photo.width as f64, photo.height as f64);
    for y in 0..target.height {
        for x in 0..target.width {
            let [u, v] = back.apply_f64(x as f64 + 0.5, y as f64 + 0.5);
            if (0.0..pw).contains(&u) && (0.0..ph).contains(&v) {
                target.put(x, y, photo.sample(u as f32, v as f32));
            }
        }
    }
}
