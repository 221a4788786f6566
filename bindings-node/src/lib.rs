//! Node bindings: empty until the Node-package issue fills them.
