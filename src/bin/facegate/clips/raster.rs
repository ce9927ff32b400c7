//! Textured triangles with a z-buffer: perspective-correct texture coordinates, nearest surface wins.

use super::scene::Image;

/// A projected vertex: frame position (x, y), camera depth `z` (> 0, larger is farther) and the
/// texture position (u, v) it shows, in the texture's continuous pixel coordinates, and a `shade`
/// added to the texture's colour there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vertex {
    pub x: f32,
    pub y: f32,
    pub z: f32,
    pub u: f32,
    pub v: f32,
    pub shade: [f32; 3],
}

/// Draws the triangles of each layer (indices into `vertices`, either winding) over `target`,
/// sampling `texture` bilinearly at each covered pixel centre and adding the vertices' shades
/// (interpolated like the texture position); a layer's depth bias is added to
/// its depths for the test, so it shows only where nothing else is within that distance in front.
pub fn draw(layers: &[(&[[usize; 3]], f32)], vertices: &[Vertex], texture: &Image, target: &mut Image) {
    let (w, h) = (target.width, target.height);
    let mut depth = vec![f32::INFINITY; w * h];
    let edge = |a: &Vertex, b: &Vertex, x: f32, y: f32| (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
    for (t, bias) in layers.iter().flat_map(|(triangles, bias)| triangles.iter().map(move |t| (t, *bias))) {
        let [a, b, c] = t.map(|i| vertices[i]);
        let area = edge(&a, &b, c.x, c.y);
        if area.abs() < 1e-6 {
            continue;
        }
        let x0 = a.x.min(b.x).min(c.x).floor().max(0.0) as usize;
        let y0 = a.y.min(b.y).min(c.y).floor().max(0.0) as usize;
        let x1 = (a.x.max(b.x).max(c.x).ceil().max(0.0) as usize).min(w);
        let y1 = (a.y.max(b.y).max(c.y).ceil().max(0.0) as usize).min(h);
        let inverse = [1.0 / a.z, 1.0 / b.z, 1.0 / c.z];
        for y in y0..y1 {
            for x in x0..x1 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let wa = edge(&b, &c, px, py) / area;
                let wb = edge(&c, &a, px, py) / area;
                let wc = 1.0 - wa - wb;
                if wa < -1e-4 || wb < -1e-4 || wc < -1e-4 {
                    continue;
                }
                let (pa, pb, pc) = (wa * inverse[0], wb * inverse[1], wc * inverse[2]);
                let z = 1.0 / (pa + pb + pc);
                let slot = &mut depth[y * w + x];
                if z + bias >= *slot {
                    continue;
                }
                *slot = z + bias;
                let u = (pa * a.u + pb * b.u + pc * c.u) * z;
                let v = (pa * a.v + pb * b.v + pc * c.v) * z;
                let colour = texture.sample(u, v);
                target.put(
                    x,
                    y,
                    std::array::from_fn(|k| colour[k] + (pa * a.shade[k] + pb * b.shade[k] + pc * c.shade[k]) * z),
                );
            }
        }
    }
}

/// Paints a polyline `width` pixels wide (anti-aliased edges) in `colour` at opacity `alpha`.
pub fn stroke(line: &[[f32; 2]], width: f32, colour: [f32; 3], alpha: f32, target: &mut Image) {
    let half = width / 2.0;
    for pair in line.windows(2) {
        let ([ax, ay], [bx, by]) = (pair[0], pair[1]);
        let x0 = (ax.min(bx) - half - 1.0).floor().max(0.0) as usize;
        let y0 = (ay.min(by) - half - 1.0).floor().max(0.0) as usize;
        let x1 = ((ax.max(bx) + half + 1.0).ceil().max(0.0) as usize).min(target.width);
        let y1 = ((ay.max(by) + half + 1.0).ceil().max(0.0) as usize).min(target.height);
        let (dx, dy) = (bx - ax, by - ay);
        let length = (dx * dx + dy * dy).max(1e-6);
        for y in y0..y1 {
            for x in x0..x1 {
                let (px, py) = (x as f32 + 0.5 - ax, y as f32 + 0.5 - ay);
                let t = ((px * dx + py * dy) / length).clamp(0.0, 1.0);
                let distance = (px - t * dx).hypot(py - t * dy);
                let cover = (half + 0.5 - distance).clamp(0.0, 1.0) * alpha;
                if cover > 0.0 {
                    target.blend(x, y, colour, cover);
                }
            }
        }
    }
}
