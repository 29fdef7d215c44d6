//! Points [N, 3] and coordinate rows [3, N] between the host and the burn device.

use burn::tensor::{Device, Tensor, TensorData};

use super::rigid::RigidTransform;

/// Uploads points as a tensor [N, 3].
pub fn points_tensor(points: &[[f32; 3]], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [points.len(), 3]), device)
}

/// Uploads points as coordinate rows [3, N] (the x row, then y, then z).
pub fn rows_tensor(points: &[[f32; 3]], device: &Device) -> Tensor<2> {
    let rows: Vec<f32> = (0..3)
        .flat_map(|axis| points.iter().map(move |p| p[axis]))
        .collect();
    Tensor::from_data(TensorData::new(rows, [3, points.len()]), device)
}

/// Points from the values of coordinate rows [3, N], mapped by `transform` where one is given.
pub fn points_of_rows(v: &[f32], transform: Option<&RigidTransform>) -> Vec<[f32; 3]> {
    let n = v.len() / 3;
    let point = |k: usize| [v[k], v[n + k], v[2 * n + k]];
    match transform {
        Some(t) => (0..n).map(|k| t.apply(point(k))).collect(),
        None => (0..n).map(point).collect(),
    }
}

/// Reads a tensor [N, 3] back as points; the error is the device's.
pub fn tensor_points(tensor: Tensor<2>) -> Result<Vec<[f32; 3]>, String> {
    let values = tensor
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    Ok(values.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_through_the_device() {
        let points = vec![[1.0, -2.5, 3.0], [0.0, 7.25, -1.0]];
        let back = tensor_points(points_tensor(&points, &Device::flex()));
        assert_eq!(back, Ok(points.clone()));
        let rows = rows_tensor(&points, &Device::flex());
        assert_eq!(rows.dims(), [3, 2]);
        assert_eq!(tensor_points(rows.transpose()), Ok(points.clone()));
        let values = [1.0, 0.0, -2.5, 7.25, 3.0, -1.0];
        assert_eq!(points_of_rows(&values, None), points);
        let shift = RigidTransform::translation([1.0, 0.0, 0.0]);
        assert_eq!(points_of_rows(&values, Some(&shift))[1], [1.0, 7.25, -1.0]);
    }
}
