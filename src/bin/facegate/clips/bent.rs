//! A printed photo bent round a cylinder or rolled into a cone (paper bends only into such
//! developable surfaces: it does not stretch), held up and moved like the flat card: the photo
//! as a fine grid of textured triangles laid on the curved sheet, posed like a card and drawn
//! with a z-buffer (so a tightly bent sheet hides its own far side).

use super::camera::{rotate, Camera};
use super::motion::Pose;
use super::raster::{self, Vertex};
use super::scene::{Image, Placement};
use serde::Serialize;

/// Grid cells along each side of the photo.
const GRID: usize = 64;

/// How the sheet is bent. Lengths in face widths; `axis` is the direction along which the sheet
/// stays straight (its rulings; for a cone, the ruling through the face's centre), in degrees
/// from the image's vertical (0: bent round a vertical axis, 90: round a horizontal one). The
/// sheet's middle (through the face's centre) is nearest the camera: it bulges like a face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "shape")]
pub enum Bend {
    /// Round a cylinder of this radius.
    Cylinder { axis: f64, radius: f64 },
    /// Rolled into a cone whose apex is `apex` away from the face's centre along the axis (on
    /// the side of the sign) and whose curvature radius at the face's centre is `radius`.
    Cone { axis: f64, radius: f64, apex: f64 },
}

/// The bent sheet, ready to pose: its points in card space (camera units, centred on the photo's
/// centre, before the pose's scale), their texture positions and the triangles.
pub struct Sheet {
    points: Vec<[f64; 3]>,
    texture: Vec<[f64; 2]>,
    triangles: Vec<[usize; 3]>,
}

impl Sheet {
    /// The photo at `placement`'s size bent by `bend` about the face at `face` (photo pixels)
    /// `face_width` (photo pixels) wide.
    pub fn new(photo: &Image, placement: Placement, bend: Bend, face: [f64; 2], face_width: f64) -> Sheet {
        let size = placement.scale;
        let (hw, hh) = (photo.width as f64 / 2.0, photo.height as f64 / 2.0);
        let unit = face_width * size;
        let centre = [(face[0] - hw) * size, (face[1] - hh) * size];
        let (mut points, mut texture) = (Vec::new(), Vec::new());
        for j in 0..=GRID {
            for i in 0..=GRID {
                let (u, v) =
                    (photo.width as f64 * i as f64 / GRID as f64, photo.height as f64 * j as f64 / GRID as f64);
                let rel = [(u - hw) * size - centre[0], (v - hh) * size - centre[1]];
                let p = bent(bend, [rel[0] / unit, rel[1] / unit]);
                points.push([centre[0] + p[0] * unit, centre[1] + p[1] * unit, p[2] * unit]);
                texture.push([u, v]);
            }
        }
        let at = |i: usize, j: usize| j * (GRID + 1) + i;
        let triangles = (0..GRID)
            .flat_map(|j| {
                (0..GRID).flat_map(move |i| {
                    [[at(i, j), at(i + 1, j), at(i, j + 1)], [at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)]]
                })
            })
            .collect();
        Sheet { points, texture, triangles }
    }

    /// Draws the sheet in `pose` (turned about the photo's centre, like the card) over `target`.
    pub fn draw(&self, pose: &Pose, photo: &Image, camera: &Camera, target: &mut Image) {
        let vertices: Vec<Vertex> = self
            .points
            .iter()
            .zip(&self.texture)
            .map(|(p, t)| {
                let r = rotate(pose, p.map(|v| v * pose.scale));
                let world = [r[0] + pose.dx, r[1] + pose.dy, r[2] + camera.focal];
                let [x, y] = camera.project(world);
                Vertex { x: x as f32, y: y as f32, z: world[2] as f32, u: t[0] as f32, v: t[1] as f32, shade: [0.0; 3] }
            })
            .collect();
        raster::draw(&[(&self.triangles[..], 0.0)], &vertices, photo, target);
    }
}

/// A point of the flat sheet at `p` (face widths from the face's centre; x right, y down) on the
/// bent sheet: (x, y, depth away from the camera).
fn bent(bend: Bend, p: [f64; 2]) -> [f64; 3] {
    let axis_angle = match bend {
        Bend::Cylinder { axis, .. } | Bend::Cone { axis, .. } => axis.to_radians(),
    };
    // Along the rulings, and across them.
    let along = [axis_angle.sin(), axis_angle.cos()];
    let across = [along[1], -along[0]];
    let (s, t) = (p[0] * across[0] + p[1] * across[1], p[0] * along[0] + p[1] * along[1]);
    let (s, t, z) = match bend {
        Bend::Cylinder { radius, .. } => (radius * (s / radius).sin(), t, radius * (1.0 - (s / radius).cos())),
        Bend::Cone { radius, apex, .. } => {
            // The apex at -apex along the axis (a negative apex: on the other side); the flat
            // sheet's angle round it, phi, becomes phi / sin(beta) round the cone's axis.
            let (sign, distance) = (apex.signum(), apex.abs());
            let beta = (radius / distance).atan();
            let (ds, dt) = (s, sign * t + distance);
            let (rho, phi) = (ds.hypot(dt), ds.atan2(dt));
            let psi = phi / beta.sin();
            // In (across, along from the apex, depth): the cone's axis w, the nearest ruling's
            // radial direction r0 = sin(beta) along - cos(beta) depth, and across.
            let w = [0.0, beta.cos(), beta.sin()];
            let r0 = [0.0, beta.sin(), -beta.cos()];
            let q: [f64; 3] = std::array::from_fn(|k| {
                rho * (beta.cos() * w[k] + beta.sin() * (psi.cos() * r0[k] + psi.sin() * [1.0, 0.0, 0.0][k]))
            });
            // Back to the face's centre: the nearest ruling passes through it at depth 0.
            (q[0], sign * (q[1] - distance), q[2])
        }
    };
    [s * across[0] + t * along[0], s * across[1] + t * along[1], z]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sheet_keeps_its_lengths_and_bulges_towards_the_camera() {
        for bend in [
            Bend::Cylinder { axis: 0.0, radius: 0.5 },
            Bend::Cylinder { axis: 45.0, radius: 1.5 },
            Bend::Cone { axis: 90.0, radius: 0.8, apex: 2.0 },
            Bend::Cone { axis: 0.0, radius: 0.6, apex: -1.5 },
        ] {
            assert!(bent(bend, [0.0, 0.0]).iter().all(|v| v.abs() < 1e-9), "{bend:?}");
            // Paper does not stretch: neighbouring points stay as far apart as on the flat sheet.
            for p in [[0.3, 0.1], [-0.5, 0.4], [0.2, -0.6]] {
                let (a, b) = (bent(bend, p), bent(bend, [p[0] + 1e-4, p[1]]));
                let (c, d) = (bent(bend, p), bent(bend, [p[0], p[1] + 1e-4]));
                let length = |a: [f64; 3], b: [f64; 3]| (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f64>().sqrt();
                assert!((length(a, b) - 1e-4).abs() < 1e-7 && (length(c, d) - 1e-4).abs() < 1e-7, "{bend:?} at {p:?}");
                assert!(a[2] >= -1e-9, "{bend:?} at {p:?}: {a:?} in front of the middle");
            }
        }
    }
}
