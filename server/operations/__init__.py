"""Operations every held type has: ``$meta``, ``$meta-add``, ``$meta-delete``, ``$validate``."""
