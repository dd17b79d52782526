"""HL7v2 record queries (QRY^A19, QBP^Q22) answered under the consents."""
