//! Python bindings: empty until the Python-package issue fills them.
