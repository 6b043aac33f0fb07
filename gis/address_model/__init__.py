"""The bundled address-segmentation CRF (address_crf.crfsuite) and its training script."""
