//! A "live" head from one photo: FaceMesh's 468 points with depth, lifted into camera space,
//! triangulated (Delaunay of the 2-D points) with rings of points around the face so hair, ears
//! and neck stretch into the background instead of ending at a seam, textured with the photo,
//! turned about a centre behind the face and filmed in perspective.

use super::camera::{rotate, Camera};
use super::motion::Pose;
use super::raster::{self, Vertex};
use super::scene::Image;
use anyhow::{ensure, Context, Result};
use facegate::{Mesh, Point3};

/// The eyelids, across each eye from the outer corner to the inner one (MediaPipe's eye rows,
/// corners 33/133 and 263/362): the row below the brow (upper 2), the crease (upper 1), the upper
/// lid's margin (upper 0) and the lower lid's margin it closes onto (lower 0).
const LIDS: [[usize; 4]; 14] = [
    [113, 247, 246, 7],
    [225, 30, 161, 163],
    [224, 29, 160, 144],
    [223, 27, 159, 145],
    [222, 28, 158, 153],
    [221, 56, 157, 154],
    [189, 190, 173, 155],
    [342, 467, 466, 249],
    [445, 260, 388, 390],
    [444, 259, 387, 373],
    [443, 257, 386, 374],
    [442, 258, 385, 380],
    [441, 286, 384, 381],
    [413, 414, 398, 382],
];
/// Where a closed lid's skin is sampled, from the crease (0) to the row below the brow (1): at
/// the lid's margin, and at the crease.
const LID_SKIN: [f64; 2] = [0.3, 0.6];
/// How far the crease comes down when the eye closes, in eye openings.
const CREASE_DROP: f64 = 0.6;
/// Skin on the cheekbone below each eye (MediaPipe's third row under it), first eye first (the
/// first seven rows of [`LIDS`]): a closed lid is shaded towards its colour, since the skin it
/// shows (sampled under the brow) can be the brow's shadow.
const SKIN_BELOW: [[usize; 7]; 2] = [[111, 117, 118, 119, 120, 121, 128], [340, 346, 347, 348, 349, 350, 357]];
/// Each eye's contour (MediaPipe's eye outlines): triangles with all three corners on one are
/// the eyeball, drawn as if a little behind the lids so the closing lids cover it.
const EYES: [[usize; 16]; 2] = [
    [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
    [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
];
/// How far behind the lids the eyeball is drawn, in face widths.
const EYEBALL_DEPTH: f64 = 0.12;
/// The cheek points at the face's image-left and image-right edges.
pub const CHEEKS: (usize, usize) = (234, 454);
/// Rings around the face: (size relative to the mesh's hull, depth behind the outline point it
/// extends, in face widths); the last ring stays put, so the background around it never moves.
const RINGS: [(f64, f64); 3] = [(1.15, 0.15), (1.4, 0.35), (2.1, 0.35)];
/// The turning centre's depth behind the face's mean depth, in face widths (about the neck).
const CENTRE_DEPTH: f64 = 0.5;

/// A textured 3-D head, ready to pose.
pub struct Head {
    /// Camera-space points: the mesh's, then the rings'.
    points: Vec<[f64; 3]>,
    /// Where each point is in the neutral scene (its texture position).
    texture: Vec<[f64; 2]>,
    /// Points of the outer ring, which never move.
    fixed: std::ops::Range<usize>,
    /// The skin, and the eyeballs (see [`EYES`]).
    triangles: Vec<[usize; 3]>,
    eyeballs: Vec<[usize; 3]>,
    /// How far the eyeballs are drawn behind the lids, camera units.
    eyeball_depth: f32,
    centre: [f64; 3],
    camera: Camera,
}

/// Indices of the convex hull of `points`, counter-clockwise (Andrew's monotone chain).
fn hull(points: &[[f64; 2]]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| points[a][0].total_cmp(&points[b][0]).then(points[a][1].total_cmp(&points[b][1])));
    let cross = |o: usize, a: usize, b: usize| {
        let (o, a, b) = (points[o], points[a], points[b]);
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut out: Vec<usize> = Vec::new();
    for pass in [order.clone(), order.into_iter().rev().collect()] {
        let start = out.len();
        for i in pass {
            while out.len() >= start + 2 && cross(out[out.len() - 2], out[out.len() - 1], i) <= 0.0 {
                out.pop();
            }
            out.push(i);
        }
        out.pop();
    }
    out
}

impl Head {
    /// Lifts `mesh` (found in the neutral scene) into camera space: each point on its pixel's
    /// ray, at the depth where the scene's scale is one pixel per unit plus FaceMesh's depth.
    pub fn lift(mesh: &Mesh, camera: Camera) -> Result<Head> {
        let all: &[Point3] = mesh.all().context("lifting needs all 468 FaceMesh points")?;
        let flat: Vec<[f64; 2]> = all.iter().map(|p| [f64::from(p.x), f64::from(p.y)]).collect();
        let mean_z = all.iter().map(|p| f64::from(p.z)).sum::<f64>() / all.len() as f64;
        let (l, r) = (all[CHEEKS.0], all[CHEEKS.1]);
        let width = f64::from(r.x - l.x).hypot(f64::from(r.y - l.y));
        ensure!(width > 10.0, "the face is {width:.0} px wide: too small to lift");
        let n = flat.len() as f64;
        let middle = [flat.iter().map(|p| p[0]).sum::<f64>() / n, flat.iter().map(|p| p[1]).sum::<f64>() / n];
        let outline = hull(&flat);
        let mut texture = flat.clone();
        let mut depths: Vec<f64> = all.iter().map(|p| f64::from(p.z)).collect();
        for (size, behind) in RINGS {
            for &i in &outline {
                texture.push([0, 1].map(|k| middle[k] + size * (flat[i][k] - middle[k])));
                depths.push(f64::from(all[i].z) + behind * width);
            }
        }
        let points: Vec<[f64; 3]> =
            texture.iter().zip(&depths).map(|(t, z)| camera.unproject(t[0], t[1], camera.focal + z)).collect();
        let sites: Vec<delaunator::Point> = texture.iter().map(|t| delaunator::Point { x: t[0], y: t[1] }).collect();
        let all = delaunator::triangulate(&sites).triangles;
        ensure!(!all.is_empty(), "the face mesh could not be triangulated");
        let (eyeballs, triangles): (Vec<[usize; 3]>, Vec<[usize; 3]>) = all
            .chunks_exact(3)
            .map(|t| [t[0], t[1], t[2]])
            .partition(|t| EYES.iter().any(|eye| t.iter().all(|i| eye.contains(i))));
        let fixed = points.len() - outline.len()..points.len();
        let eyeball_depth = (EYEBALL_DEPTH * width) as f32;
        let mid = camera.unproject(middle[0], middle[1], camera.focal + mean_z);
        let centre = [mid[0], mid[1], mid[2] + CENTRE_DEPTH * width];
        Ok(Head { fixed, points, texture, triangles, eyeballs, eyeball_depth, centre, camera })
    }

    /// Camera-space points and texture positions in `pose`. Closing eyes (`pose.closed`): the
    /// upper lid's margin slides onto the lower one and the crease comes down, and the lid shows
    /// the skin between crease and brow instead of stretching the lashes over the eye.
    fn posed(&self, pose: &Pose) -> (Vec<[f64; 3]>, Vec<[f64; 2]>) {
        let (mut points, mut texture) = (self.points.clone(), self.texture.clone());
        let c = pose.closed;
        for [brow, crease, upper, lower] in LIDS {
            let (u, l) = (points[upper], points[lower]);
            points[upper] = [0, 1, 2].map(|k| u[k] + c * (l[k] - u[k]));
            points[crease] = [0, 1, 2].map(|k| points[crease][k] + c * CREASE_DROP * (l[k] - u[k]));
            let t = |i: usize| self.texture[i];
            let above = |f: f64| [0, 1].map(|k| t(crease)[k] + f * (t(brow)[k] - t(crease)[k]));
            let (skin, high) = (above(LID_SKIN[0]), above(LID_SKIN[1]));
            texture[upper] = [0, 1].map(|k| t(upper)[k] + c * (skin[k] - t(upper)[k]));
            texture[crease] = [0, 1].map(|k| t(crease)[k] + c * (high[k] - t(crease)[k]));
        }
        let o = self.centre;
        let shift = o[2] / self.camera.focal;
        for (_, p) in points.iter_mut().enumerate().filter(|(i, _)| !self.fixed.contains(i)) {
            let r = rotate(pose, [p[0] - o[0], p[1] - o[1], p[2] - o[2]]);
            *p = [r[0] + o[0] + pose.dx * shift, r[1] + o[1] + pose.dy * shift, r[2] + o[2]];
        }
        (points, texture)
    }

    /// Draws the head in `pose` over `target`, textured from `scene` (the neutral scene the mesh
    /// was found in).
    pub fn draw(&self, pose: &Pose, scene: &Image, target: &mut Image) {
        let (points, texture) = self.posed(pose);
        let shades = self.lid_shades(&texture, pose.closed as f32, scene);
        let vertices: Vec<Vertex> = points
            .iter()
            .zip(&texture)
            .zip(shades)
            .map(|((p, t), shade)| {
                let [x, y] = self.camera.project(*p);
                Vertex { x: x as f32, y: y as f32, z: p[2] as f32, u: t[0] as f32, v: t[1] as f32, shade }
            })
            .collect();
        let layers = [(&self.triangles[..], 0.0), (&self.eyeballs[..], self.eyeball_depth)];
        raster::draw(&layers, &vertices, scene, target);
        if pose.closed > 0.0 {
            self.lashes(&vertices, pose.closed, scene, target);
        }
    }

    /// Per point, the shade added to its colour: on a closing lid's margin and crease, the
    /// difference between the skin below the eye and the lid's skin (`texture`, posed), times
    /// how closed the eyes are; nothing elsewhere, so the brow and the lower lid keep their look.
    fn lid_shades(&self, texture: &[[f64; 2]], closed: f32, scene: &Image) -> Vec<[f32; 3]> {
        let mut shades = vec![[0.0; 3]; texture.len()];
        if closed <= 0.0 {
            return shades;
        }
        let colour = |t: [f64; 2]| scene.sample(t[0] as f32, t[1] as f32);
        let mean = |colours: Vec<[f32; 3]>| {
            let n = colours.len() as f32;
            colours.iter().fold([0.0; 3], |s, c| std::array::from_fn(|k| s[k] + c[k] / n))
        };
        for (rows, below) in LIDS.chunks_exact(7).zip(SKIN_BELOW) {
            let lid = mean(
                rows.iter().flat_map(|&[_, crease, upper, _]| [crease, upper]).map(|i| colour(texture[i])).collect(),
            );
            let skin = mean(below.iter().map(|&i| colour(self.texture[i])).collect());
            let shade: [f32; 3] = std::array::from_fn(|k| closed * (skin[k] - lid[k]));
            for &[_, crease, upper, _] in rows {
                (shades[crease], shades[upper]) = (shade, shade);
            }
        }
        shades
    }

    /// The lash line of closing eyes: a dark stroke along each lower lid, corner to corner, in
    /// the darkest colour of the upper lid's margin, about a twelfth of the eye's width.
    fn lashes(&self, vertices: &[Vertex], closed: f64, scene: &Image, target: &mut Image) {
        for eye in EYES {
            let lower: Vec<[f32; 2]> = eye[..9].iter().map(|&i| [vertices[i].x, vertices[i].y]).collect();
            let colour = LIDS
                .iter()
                .filter(|[.., upper, _]| eye.contains(upper))
                .map(|&[.., upper, _]| scene.sample(self.texture[upper][0] as f32, self.texture[upper][1] as f32))
                .min_by(|a, b| a.iter().sum::<f32>().total_cmp(&b.iter().sum::<f32>()))
                .unwrap_or([40.0; 3]);
            let width = (lower[0][0] - lower[8][0]).hypot(lower[0][1] - lower[8][1]) / 12.0;
            raster::stroke(&lower, width.max(1.0), colour, closed as f32, target);
        }
    }
}
