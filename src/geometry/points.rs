//! Points [N, 3] between the host and the burn device.

use burn::tensor::{Device, Tensor, TensorData};

/// Uploads points as a tensor [N, 3].
pub fn points_tensor(points: &[[f32; 3]], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [points.len(), 3]), device)
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
        assert_eq!(back, Ok(points));
    }
}
