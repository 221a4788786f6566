//! The Arrow C data and C stream interfaces (the Arrow PyCapsule protocol): a table built here in Rust is handed
//! to pyarrow, polars or any other Arrow consumer without copying a value buffer.
//!
//! [`Table`] is the Python object `autoshares.ArrowTable`: `__arrow_c_stream__()` returns a capsule named
//! `arrow_array_stream` holding one record batch (a struct array, one child per column) and `__arrow_c_schema__()`
//! one named `arrow_schema`. The buffers stay owned by Rust (an `Arc` shared by every export); the consumer's
//! `release` call drops its reference. Layouts follow the Arrow columnar format: validity bitmaps LSB first,
//! little-endian values, `i32` string offsets.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// `struct ArrowSchema` of the C data interface.
#[repr(C)]
struct ArrowSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut c_void,
}

/// `struct ArrowArray` of the C data interface.
#[repr(C)]
struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut c_void,
}

/// `struct ArrowArrayStream` of the C stream interface.
#[repr(C)]
struct ArrowArrayStream {
    get_schema: Option<unsafe extern "C" fn(*mut ArrowArrayStream, *mut ArrowSchema) -> c_int>,
    get_next: Option<unsafe extern "C" fn(*mut ArrowArrayStream, *mut ArrowArray) -> c_int>,
    get_last_error: Option<unsafe extern "C" fn(*mut ArrowArrayStream) -> *const c_char>,
    release: Option<unsafe extern "C" fn(*mut ArrowArrayStream)>,
    private_data: *mut c_void,
}

const NULLABLE: i64 = 2;

/// One buffer of a column: bytes at an 8-byte aligned address (Arrow's minimum), or none.
pub struct Buffer(Option<Vec<u64>>);

impl Buffer {
    /// No buffer (a validity bitmap of a column without nulls).
    pub fn none() -> Buffer {
        Buffer(None)
    }

    /// `bytes`, stored 8-byte aligned.
    pub fn from_bytes(bytes: &[u8]) -> Buffer {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        // SAFETY: `words` has at least `bytes.len()` bytes and u8 has no alignment requirement.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), words.as_mut_ptr().cast::<u8>(), bytes.len())
        };
        Buffer(Some(words))
    }

    /// Words already in Arrow's little-endian layout (no copy).
    pub fn from_words(words: Vec<u64>) -> Buffer {
        Buffer(Some(words))
    }

    /// 64-bit integers as Arrow stores them (little-endian), without a copy where the machine is little-endian.
    pub fn from_i64(values: Vec<i64>) -> Buffer {
        #[cfg(target_endian = "little")]
        {
            let mut values = std::mem::ManuallyDrop::new(values);
            // SAFETY: i64 and u64 have the same size and alignment, so the allocation is a valid Vec<u64> of the
            // same length and capacity, and little-endian i64s are their two's-complement words.
            Buffer(Some(unsafe {
                Vec::from_raw_parts(
                    values.as_mut_ptr().cast::<u64>(),
                    values.len(),
                    values.capacity(),
                )
            }))
        }
        #[cfg(not(target_endian = "little"))]
        {
            Buffer(Some(
                values
                    .into_iter()
                    .map(|v| u64::from_ne_bytes(v.to_le_bytes()))
                    .collect(),
            ))
        }
    }

    fn as_ptr(&self) -> *const c_void {
        match &self.0 {
            Some(w) if !w.is_empty() => w.as_ptr().cast(),
            _ => ptr::null(),
        }
    }
}

/// One finished column: its Arrow format string and buffers in the order its layout wants them.
pub struct Column {
    name: CString,
    format: CString,
    length: i64,
    null_count: i64,
    buffers: Vec<Buffer>,
}

impl Column {
    /// A column of `length` values in `format` (`l`, `b`, `g`, `u`, `tsu:UTC`, `d:38,<scale>`), `null_count` of
    /// them null.
    pub fn new(
        name: &str,
        format: &str,
        length: usize,
        null_count: usize,
        buffers: Vec<Buffer>,
    ) -> Column {
        Column {
            name: CString::new(name).unwrap_or_default(),
            format: CString::new(format).unwrap_or_default(),
            length: length as i64,
            null_count: null_count as i64,
            buffers,
        }
    }
}

/// The columns of one table, shared by every export.
struct Batch {
    columns: Vec<Column>,
    length: i64,
}

/// A table of columns built in Rust, consumable by any Arrow PyCapsule consumer (`pyarrow.table(t)`,
/// `polars.DataFrame(t)`), zero-copy.
#[pyclass(frozen, name = "ArrowTable", module = "autoshares")]
pub struct Table {
    batch: Arc<Batch>,
}

impl Table {
    /// The table of `columns`, which all have `length` rows.
    pub fn new(columns: Vec<Column>, length: usize) -> Table {
        Table {
            batch: Arc::new(Batch {
                columns,
                length: length as i64,
            }),
        }
    }
}

#[pymethods]
impl Table {
    /// The schema as an `arrow_schema` capsule (a struct with one field per column).
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = Sendable(export_schema(&self.batch));
        PyCapsule::new_with_value_and_destructor(py, schema, c"arrow_schema", |mut s, _| {
            if let Some(release) = s.0.release {
                // SAFETY: the schema was exported by us and not moved out (release is still set).
                unsafe { release(&mut s.0) };
            }
        })
    }

    /// The table as an `arrow_array_stream` capsule of one record batch. `requested_schema` is accepted as the
    /// protocol says and ignored: the columns have one representation.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let private = Box::new(StreamPrivate {
            batch: Arc::clone(&self.batch),
            done: false,
        });
        let stream = Sendable(ArrowArrayStream {
            get_schema: Some(stream_get_schema),
            get_next: Some(stream_get_next),
            get_last_error: Some(stream_last_error),
            release: Some(stream_release),
            private_data: Box::into_raw(private).cast(),
        });
        PyCapsule::new_with_value_and_destructor(py, stream, c"arrow_array_stream", |mut s, _| {
            if let Some(release) = s.0.release {
                // SAFETY: exported by us; a consumer that moved it out set `release` to null.
                unsafe { release(&mut s.0) };
            }
        })
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> i64 {
        self.batch.length
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.batch
            .columns
            .iter()
            .map(|c| c.name.to_string_lossy().into_owned())
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "ArrowTable(num_rows={}, columns={:?})",
            self.batch.length,
            self.column_names()
        )
    }
}

/// The C structs hold raw pointers; they are plain data owned by whoever holds them, so moving them between
/// threads (a capsule can be freed on any thread) is sound.
struct Sendable<T>(T);
// SAFETY: see the type's docs; the pointed-to data is owned by the struct's private data (no shared state but
// the `Arc<Batch>`, which is immutable).
unsafe impl<T> Send for Sendable<T> {}

struct SchemaPrivate {
    _format: CString,
    _name: CString,
    children: Vec<*mut ArrowSchema>,
}

fn schema_node(format: &CStr, name: &CStr, flags: i64, children: Vec<ArrowSchema>) -> ArrowSchema {
    let format = format.to_owned();
    let name = name.to_owned();
    let mut children: Vec<*mut ArrowSchema> = children
        .into_iter()
        .map(|c| Box::into_raw(Box::new(c)))
        .collect();
    let (n_children, children_ptr) = (children.len() as i64, children.as_mut_ptr());
    let out = ArrowSchema {
        format: format.as_ptr(),
        name: name.as_ptr(),
        metadata: ptr::null(),
        flags,
        n_children,
        children: if n_children == 0 {
            ptr::null_mut()
        } else {
            children_ptr
        },
        dictionary: ptr::null_mut(),
        release: Some(schema_release),
        private_data: ptr::null_mut(),
    };
    let private = Box::new(SchemaPrivate {
        _format: format,
        _name: name,
        children,
    });
    ArrowSchema {
        private_data: Box::into_raw(private).cast(),
        ..out
    }
}

fn export_schema(batch: &Batch) -> ArrowSchema {
    let fields = batch
        .columns
        .iter()
        .map(|c| schema_node(&c.format, &c.name, NULLABLE, Vec::new()))
        .collect();
    schema_node(c"+s", c"", 0, fields)
}

unsafe extern "C" fn schema_release(schema: *mut ArrowSchema) {
    // SAFETY: called once per exported schema by its owner, with the pointer it was exported to.
    unsafe {
        let s = &mut *schema;
        if s.release.is_none() {
            return;
        }
        let private = Box::from_raw(s.private_data.cast::<SchemaPrivate>());
        for child in &private.children {
            if let Some(release) = (**child).release {
                release(*child);
            }
            drop(Box::from_raw(*child));
        }
        drop(private);
        s.release = None;
    }
}

struct ArrayPrivate {
    _batch: Arc<Batch>,
    buffers: Vec<*const c_void>,
    children: Vec<*mut ArrowArray>,
}

fn array_node(
    batch: &Arc<Batch>,
    length: i64,
    null_count: i64,
    buffers: Vec<*const c_void>,
    children: Vec<ArrowArray>,
) -> ArrowArray {
    let children: Vec<*mut ArrowArray> = children
        .into_iter()
        .map(|c| Box::into_raw(Box::new(c)))
        .collect();
    let mut private = Box::new(ArrayPrivate {
        _batch: Arc::clone(batch),
        buffers,
        children,
    });
    ArrowArray {
        length,
        null_count,
        offset: 0,
        n_buffers: private.buffers.len() as i64,
        n_children: private.children.len() as i64,
        buffers: private.buffers.as_mut_ptr(),
        children: if private.children.is_empty() {
            ptr::null_mut()
        } else {
            private.children.as_mut_ptr()
        },
        dictionary: ptr::null_mut(),
        release: Some(array_release),
        private_data: Box::into_raw(private).cast(),
    }
}

fn export_array(batch: &Arc<Batch>) -> ArrowArray {
    let children = batch
        .columns
        .iter()
        .map(|c| {
            let buffers = c.buffers.iter().map(Buffer::as_ptr).collect();
            array_node(batch, c.length, c.null_count, buffers, Vec::new())
        })
        .collect();
    array_node(batch, batch.length, 0, vec![ptr::null()], children)
}

unsafe extern "C" fn array_release(array: *mut ArrowArray) {
    // SAFETY: called once per exported array by its owner, with the pointer it was exported to.
    unsafe {
        let a = &mut *array;
        if a.release.is_none() {
            return;
        }
        let private = Box::from_raw(a.private_data.cast::<ArrayPrivate>());
        for child in &private.children {
            if let Some(release) = (**child).release {
                release(*child);
            }
            drop(Box::from_raw(*child));
        }
        drop(private);
        a.release = None;
    }
}

struct StreamPrivate {
    batch: Arc<Batch>,
    done: bool,
}

unsafe extern "C" fn stream_get_schema(
    stream: *mut ArrowArrayStream,
    out: *mut ArrowSchema,
) -> c_int {
    // SAFETY: `stream` is a live stream we exported; `out` points to writable memory for one schema.
    unsafe {
        let private = &*(*stream).private_data.cast::<StreamPrivate>();
        out.write(export_schema(&private.batch));
    }
    0
}

unsafe extern "C" fn stream_get_next(stream: *mut ArrowArrayStream, out: *mut ArrowArray) -> c_int {
    // SAFETY: as for `stream_get_schema`.
    unsafe {
        let private = &mut *(*stream).private_data.cast::<StreamPrivate>();
        if private.done {
            // The end of the stream: a released (null) array.
            out.write(ArrowArray {
                length: 0,
                null_count: 0,
                offset: 0,
                n_buffers: 0,
                n_children: 0,
                buffers: ptr::null_mut(),
                children: ptr::null_mut(),
                dictionary: ptr::null_mut(),
                release: None,
                private_data: ptr::null_mut(),
            });
        } else {
            private.done = true;
            out.write(export_array(&private.batch));
        }
    }
    0
}

unsafe extern "C" fn stream_last_error(_: *mut ArrowArrayStream) -> *const c_char {
    ptr::null()
}

unsafe extern "C" fn stream_release(stream: *mut ArrowArrayStream) {
    // SAFETY: called once by the stream's owner.
    unsafe {
        let s = &mut *stream;
        if s.release.is_none() {
            return;
        }
        drop(Box::from_raw(s.private_data.cast::<StreamPrivate>()));
        s.release = None;
    }
}
