#pragma once
// Declarative vmstate descriptions (QEMU's VMStateDescription, typed) and the one walker that
// turns a description into: the wire bytes (save), state from wire bytes (load), the vmdesc JSON
// entry that trails a stream, the -dump-vmstate schema entry, and the state digest.
//
// A description is constexpr data: vm::Field<S> rows built from member pointers, grouped into a
// vm::Section<S> (a device, the hart) whose subsections are Section<S> too (vm::Subsection<S>).
// Every function pointer in a Field is instantiated from the member pointer; there is no offset
// arithmetic, and a kind that does not match the member's type fails to compile.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/result.h"
#include "snapshot/wire.h"

namespace lockstep::snapshot::vm {

using Json = nlohmann::ordered_json;  // key order is part of the output (QEMU's order)

inline constexpr std::uint8_t kSubsectionByte = 0x05;

enum class Kind : std::uint8_t { Bool, I8, I16, I32, I64, U8, U16, U32, U64, Buffer, Struct };
enum class Shape : std::uint8_t { Scalar, Array, VarArray };

// QEMU's VMStateInfo names, as the vmdesc JSON and analyze-migration.py spell them.
constexpr std::string_view type_name(Kind k, bool equal) {
  switch (k) {
    case Kind::Bool: return "bool";
    case Kind::I8: return equal ? "int8 equal" : "int8";
    case Kind::I16: return equal ? "int16 equal" : "int16";
    case Kind::I32: return equal ? "int32 equal" : "int32";
    case Kind::I64: return equal ? "int64 equal" : "int64";
    case Kind::U8: return equal ? "uint8 equal" : "uint8";
    case Kind::U16: return equal ? "uint16 equal" : "uint16";
    case Kind::U32: return equal ? "uint32 equal" : "uint32";
    case Kind::U64: return equal ? "int64 equal" : "uint64";  // sic: QEMU names vmstate_info_uint64_equal so
    case Kind::Buffer: return "buffer";
    case Kind::Struct: return "struct";
  }
  return "?";
}

template <class S>
struct Section;

// Where a described value lives in memory, not on the wire: what lets a test set and compare every
// described member directly (tests/unit/vmstate_roundtrip), so that a load which reads a field but
// does not store it cannot hide behind the same load path. Walked by for_each_storage below.
struct Storage {
  std::string path;           // "scr", "recv_fifo.head", "vdev.vq[2].vring.num"
  Kind kind = Kind::U8;       // wire kind of one element (Buffer: bytes)
  bool equal = false;         // *_equal: configuration both sides must share
  std::size_t elem_size = 0;  // bytes of one element in memory (an enum's or a bool's own size)
  std::size_t elems = 0;      // 1, the array length, or a variable array's current length
  std::size_t capacity = 0;   // elements the memory holds (a variable array's capacity; else elems)
  void* data = nullptr;
};
using StorageVisitor = std::function<void(const Storage&)>;

template <class S>
struct Field {
  std::string_view name;          // QEMU's field name, verbatim (wire ABI via the vmdesc)
  Kind kind = Kind::U8;
  Shape shape = Shape::Scalar;
  bool equal = false;             // *_equal: loaded value must equal the local one
  std::uint32_t capacity = 1;     // fixed array length, or variable array capacity
  std::uint32_t host_size = 0;    // -dump-vmstate "size": element size (arrays), buffer/struct size
  int version = 0;                // first section version that carries the field
  bool (*exists)(const S&, int version_id) = nullptr;  // QEMU's field_exists; overrides .since
  Status (*save)(const S&, Writer&, Json* struct_desc) = nullptr;
  Status (*load)(S&, Reader&) = nullptr;
  std::uint32_t (*count)(const S&) = nullptr;  // elements on the wire now (variable arrays)
  void (*schema)(Json& description) = nullptr;  // nested struct's -dump-vmstate Description
  // Reports the member's storage under `path` (a struct walks its own description); null when
  // there is no member (fixed_value).
  void (*storage)(S&, const std::string& path, const StorageVisitor&) = nullptr;

  constexpr Field since(int v) const {
    Field f = *this;
    f.version = v;
    return f;
  }
  constexpr Field exists_if(bool (*p)(const S&, int)) const {
    Field f = *this;
    f.exists = p;
    return f;
  }
};

// A section (top level) or a subsection: QEMU uses one VMStateDescription type for both.
template <class S>
struct Section {
  std::string_view name;  // vmsd name; a subsection's name starts with its parent's ("cpu/pmp")
  int version = 1;
  int min_version = 1;
  // Subsection: written only when true (null = always). Top level: the stream layer skips the
  // section when false, as QEMU does with a vmsd's needed().
  bool (*needed)(const S&) = nullptr;
  // Subsection the stream did not carry: what that means for the state (null = leave as is).
  void (*absent)(S&) = nullptr;
  std::span<const Field<S>> fields{};
  std::span<const Section<S>* const> subsections{};
  // Subsection folded into the parent's body by a later parent version: written only when the
  // parent is written at a version <= this, and `absent` does not apply to newer streams (0 = always).
  int until_version = 0;
  // Subsection switched off as a whole by a compat property (null = always possible): when false,
  // needed() is not asked. What `snapshot check` reports as "can reach the wire".
  bool (*enabled)(const S&) = nullptr;
  Status (*pre_save)(const S&) = nullptr;              // may refuse to save (non-migratable state)
  Status (*post_load)(S&, int version_id) = nullptr;   // recompute derived state, check invariants
};

template <class S>
using Subsection = Section<S>;

// ---------------------------------------------------------------------------------------------
namespace detail {

template <class S>
Status save_body(const Section<S>& d, const S& s, Writer& w, Json* desc, int version_id = 0);
template <class S>
Status load_body(const Section<S>& d, S& s, Reader& r, int version_id);
template <class S>
Json schema_of(const Section<S>& d);
template <class S>
void visit_storage(const Section<S>& d, S& s, const StorageVisitor& fn, const std::string& prefix);

template <class M>
struct member;
template <class C, class V>
struct member<V C::*> {
  using cls = C;
  using value = V;
};
template <auto M>
using class_of = typename member<decltype(M)>::cls;
template <auto M>
using value_of = typename member<decltype(M)>::value;

// A member-pointer path (&Hart::csr, &CsrState::mstatus): QEMU's "env.mstatus" reaches into a
// nested struct without making that struct a nested vmstate description.
template <auto... Ms>
struct chain;
template <auto M>
struct chain<M> {
  using S = class_of<M>;
  using V = value_of<M>;
  static constexpr V& get(S& s) { return s.*M; }
  static constexpr const V& get(const S& s) { return s.*M; }
};
template <auto M, auto N, auto... Rest>
struct chain<M, N, Rest...> {
  using Next = chain<N, Rest...>;
  static_assert(std::is_same_v<value_of<M>, typename Next::S>, "member path does not connect");
  using S = class_of<M>;
  using V = typename Next::V;
  static constexpr V& get(S& s) { return Next::get(s.*M); }
  static constexpr const V& get(const S& s) { return Next::get(s.*M); }
};

template <class T, bool = std::is_enum_v<T>>
struct wire_of {
  using type = T;
};
template <class T>
struct wire_of<T, true> {
  using type = std::underlying_type_t<T>;
};
template <class T>
using wire_t = typename wire_of<T>::type;

template <class T>
struct array_traits : std::false_type {};
template <class E, std::size_t N>
struct array_traits<std::array<E, N>> : std::true_type {
  using elem = E;
  static constexpr std::size_t size = N;
};

template <class>
inline constexpr bool kAlwaysFalse = false;

// Constraints on the field constructors: a kind over a member of another type is not a candidate,
// so `vm::u16<&S::a_u8_member>` does not compile (and tests can check that with `requires`).
template <class W, auto... Ms>
concept ScalarOf = std::is_same_v<wire_t<typename chain<Ms...>::V>, W>;
template <class W, auto... Ms>
concept ArrayOf = array_traits<typename chain<Ms...>::V>::value &&
                  std::is_same_v<wire_t<typename array_traits<typename chain<Ms...>::V>::elem>, W>;

template <class W>
constexpr Kind kind_of() {
  if constexpr (std::is_same_v<W, bool>) return Kind::Bool;
  else if constexpr (std::is_same_v<W, std::int8_t>) return Kind::I8;
  else if constexpr (std::is_same_v<W, std::int16_t>) return Kind::I16;
  else if constexpr (std::is_same_v<W, std::int32_t>) return Kind::I32;
  else if constexpr (std::is_same_v<W, std::int64_t>) return Kind::I64;
  else if constexpr (std::is_same_v<W, std::uint8_t>) return Kind::U8;
  else if constexpr (std::is_same_v<W, std::uint16_t>) return Kind::U16;
  else if constexpr (std::is_same_v<W, std::uint32_t>) return Kind::U32;
  else if constexpr (std::is_same_v<W, std::uint64_t>) return Kind::U64;
  else static_assert(kAlwaysFalse<W>, "no vmstate wire kind for this type");
}

template <class W>
void put(Writer& w, W v) {
  if constexpr (std::is_same_v<W, bool>) w.put_u8(v ? 1 : 0);
  else if constexpr (sizeof(W) == 1) w.put_u8(static_cast<std::uint8_t>(v));
  else if constexpr (sizeof(W) == 2) w.put_be16(static_cast<std::uint16_t>(v));
  else if constexpr (sizeof(W) == 4) w.put_be32(static_cast<std::uint32_t>(v));
  else w.put_be64(static_cast<std::uint64_t>(v));
}

template <class W>
bool get(Reader& r, W& v) {
  if constexpr (std::is_same_v<W, bool>) {
    std::uint8_t b = 0;
    if (!r.get_u8(b)) return false;
    v = b != 0;  // QEMU's get_bool: any non-zero byte is true
    return true;
  } else if constexpr (sizeof(W) == 1) {
    std::uint8_t b = 0;
    if (!r.get_u8(b)) return false;
    v = static_cast<W>(b);
    return true;
  } else if constexpr (sizeof(W) == 2) {
    std::uint16_t b = 0;
    if (!r.get_be16(b)) return false;
    v = static_cast<W>(b);
    return true;
  } else if constexpr (sizeof(W) == 4) {
    std::uint32_t b = 0;
    if (!r.get_be32(b)) return false;
    v = static_cast<W>(b);
    return true;
  } else {
    std::uint64_t b = 0;
    if (!r.get_be64(b)) return false;
    v = static_cast<W>(b);
    return true;
  }
}

inline Error truncated(const Reader& r, std::size_t need) {
  return Error{fmt::format("truncated input: need {} bytes, {} left", need, r.remaining()), ErrorKind::kTruncated};
}

template <class W, bool Eq, class P>
constexpr Field<typename P::S> scalar(std::string_view name) {
  using S = typename P::S;
  using V = typename P::V;
  static_assert(std::is_same_v<wire_t<V>, W>,
                "vmstate field kind does not match the member's type (e.g. u16 over a u8 member)");
  static_assert(!(Eq && std::is_same_v<W, bool>), "no bool_equal in QEMU");
  Field<S> f{};
  f.name = name;
  f.kind = kind_of<W>();
  f.equal = Eq;
  f.host_size = sizeof(V);
  f.save = [](const S& s, Writer& w, Json*) -> Status {
    put<W>(w, static_cast<W>(P::get(s)));
    return Ok{};
  };
  f.storage = [](S& s, const std::string& path, const StorageVisitor& fn) {
    fn(Storage{path, kind_of<W>(), Eq, sizeof(V), 1, 1, &P::get(s)});
  };
  f.load = [](S& s, Reader& r) -> Status {
    W v{};
    if (!get<W>(r, v)) return truncated(r, sizeof(W));
    if constexpr (Eq) {
      const W local = static_cast<W>(P::get(s));
      if (v != local)
        return Error{fmt::format("{} mismatch: incoming {:#x} != local {:#x}", type_name(kind_of<W>(), true),
                                 v, local),
                     ErrorKind::kValueMismatch};
    } else {
      P::get(s) = static_cast<V>(v);
    }
    return Ok{};
  };
  return f;
}

template <class W, class P>
constexpr Field<typename P::S> fixed_array(std::string_view name) {
  using S = typename P::S;
  using A = typename P::V;
  static_assert(array_traits<A>::value, "array field over a member that is not a std::array");
  using E = typename array_traits<A>::elem;
  constexpr std::size_t N = array_traits<A>::size;
  static_assert(std::is_same_v<wire_t<E>, W>, "vmstate array kind does not match the element type");
  Field<S> f{};
  f.name = name;
  f.kind = kind_of<W>();
  f.shape = Shape::Array;
  f.capacity = static_cast<std::uint32_t>(N);
  f.host_size = sizeof(E);
  f.save = [](const S& s, Writer& w, Json*) -> Status {
    for (const E& e : P::get(s)) put<W>(w, static_cast<W>(e));
    return Ok{};
  };
  f.storage = [](S& s, const std::string& path, const StorageVisitor& fn) {
    fn(Storage{path, kind_of<W>(), false, sizeof(E), N, N, P::get(s).data()});
  };
  f.load = [](S& s, Reader& r) -> Status {
    if (r.remaining() < N * sizeof(W)) return truncated(r, N * sizeof(W));
    for (E& e : P::get(s)) {
      W v{};
      get<W>(r, v);
      e = static_cast<E>(v);
    }
    return Ok{};
  };
  return f;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Field constructors. The member pointer fixes the struct and the C++ type; the name says the kind.
template <auto... Ms>
  requires detail::ScalarOf<bool, Ms...>
constexpr auto boolean(std::string_view n) { return detail::scalar<bool, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::int8_t, Ms...>
constexpr auto i8(std::string_view n) { return detail::scalar<std::int8_t, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::int16_t, Ms...>
constexpr auto i16(std::string_view n) { return detail::scalar<std::int16_t, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::int32_t, Ms...>
constexpr auto i32(std::string_view n) { return detail::scalar<std::int32_t, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::int64_t, Ms...>
constexpr auto i64(std::string_view n) { return detail::scalar<std::int64_t, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::uint8_t, Ms...>
constexpr auto u8(std::string_view n) { return detail::scalar<std::uint8_t, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::uint16_t, Ms...>
constexpr auto u16(std::string_view n) { return detail::scalar<std::uint16_t, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::uint32_t, Ms...>
constexpr auto u32(std::string_view n) { return detail::scalar<std::uint32_t, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::uint64_t, Ms...>
constexpr auto u64(std::string_view n) { return detail::scalar<std::uint64_t, false, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::int32_t, Ms...>
constexpr auto i32_equal(std::string_view n) { return detail::scalar<std::int32_t, true, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::int64_t, Ms...>
constexpr auto i64_equal(std::string_view n) { return detail::scalar<std::int64_t, true, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::uint8_t, Ms...>
constexpr auto u8_equal(std::string_view n) { return detail::scalar<std::uint8_t, true, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::uint16_t, Ms...>
constexpr auto u16_equal(std::string_view n) { return detail::scalar<std::uint16_t, true, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::uint32_t, Ms...>
constexpr auto u32_equal(std::string_view n) { return detail::scalar<std::uint32_t, true, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ScalarOf<std::uint64_t, Ms...>
constexpr auto u64_equal(std::string_view n) { return detail::scalar<std::uint64_t, true, detail::chain<Ms...>>(n); }

template <auto... Ms>
  requires detail::ArrayOf<bool, Ms...>
constexpr auto bool_array(std::string_view n) { return detail::fixed_array<bool, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ArrayOf<std::uint8_t, Ms...>
constexpr auto u8_array(std::string_view n) { return detail::fixed_array<std::uint8_t, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ArrayOf<std::uint16_t, Ms...>
constexpr auto u16_array(std::string_view n) { return detail::fixed_array<std::uint16_t, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ArrayOf<std::uint32_t, Ms...>
constexpr auto u32_array(std::string_view n) { return detail::fixed_array<std::uint32_t, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ArrayOf<std::uint64_t, Ms...>
constexpr auto u64_array(std::string_view n) { return detail::fixed_array<std::uint64_t, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ArrayOf<std::int32_t, Ms...>
constexpr auto i32_array(std::string_view n) { return detail::fixed_array<std::int32_t, detail::chain<Ms...>>(n); }
template <auto... Ms>
  requires detail::ArrayOf<std::int64_t, Ms...>
constexpr auto i64_array(std::string_view n) { return detail::fixed_array<std::int64_t, detail::chain<Ms...>>(n); }

// Raw bytes (QEMU's VMSTATE_BUFFER): a std::array<uint8_t, N> sent as N bytes, type "buffer".
template <auto... Ms>
constexpr auto buffer(std::string_view name) {
  using P = detail::chain<Ms...>;
  using S = typename P::S;
  using A = typename P::V;
  static_assert(detail::array_traits<A>::value &&
                    std::is_same_v<typename detail::array_traits<A>::elem, std::uint8_t>,
                "buffer field needs a std::array<uint8_t, N> member");
  constexpr std::size_t N = detail::array_traits<A>::size;
  Field<S> f{};
  f.name = name;
  f.kind = Kind::Buffer;
  f.host_size = static_cast<std::uint32_t>(N);
  f.save = [](const S& s, Writer& w, Json*) -> Status {
    w.put_bytes(P::get(s));
    return Ok{};
  };
  f.storage = [](S& s, const std::string& path, const StorageVisitor& fn) {
    fn(Storage{path, Kind::Buffer, false, 1, N, N, P::get(s).data()});
  };
  f.load = [](S& s, Reader& r) -> Status {
    if (!r.get_bytes(P::get(s))) return detail::truncated(r, N);
    return Ok{};
  };
  return f;
}

// Variable-length array (QEMU's VMSTATE_VARRAY_*): the first `len` elements of a std::array, the
// length being an integer member described (and so loaded) earlier in the same section. A length
// above the capacity is refused on load: hostile bytes never index past the array.
template <auto MArr, auto MLen>
constexpr auto varray(std::string_view name) {
  using S = detail::class_of<MArr>;
  using A = detail::value_of<MArr>;
  using L = detail::value_of<MLen>;
  static_assert(std::is_same_v<S, detail::class_of<MLen>>, "array and length live in the same struct");
  static_assert(std::is_integral_v<L> && !std::is_same_v<L, bool>, "length member must be an integer");
  static_assert(detail::array_traits<A>::value, "varray needs a std::array member");
  using E = typename detail::array_traits<A>::elem;
  using W = detail::wire_t<E>;
  constexpr std::size_t N = detail::array_traits<A>::size;
  Field<S> f{};
  f.name = name;
  f.kind = detail::kind_of<W>();
  f.shape = Shape::VarArray;
  f.capacity = static_cast<std::uint32_t>(N);
  f.host_size = sizeof(E);
  f.count = [](const S& s) -> std::uint32_t {
    const auto n = static_cast<std::uint64_t>(s.*MLen);
    return static_cast<std::uint32_t>(n < N ? n : N);
  };
  f.storage = [](S& s, const std::string& path, const StorageVisitor& fn) {
    const auto n = static_cast<std::uint64_t>(s.*MLen);
    fn(Storage{path, detail::kind_of<W>(), false, sizeof(E), n < N ? n : N, N, (s.*MArr).data()});
  };
  f.save = [](const S& s, Writer& w, Json*) -> Status {
    const auto n = static_cast<std::uint64_t>(s.*MLen);
    if (n > N) return Error{fmt::format("length {} exceeds the capacity {}", n, std::size_t{N})};
    for (std::size_t i = 0; i < n; ++i) detail::put<W>(w, static_cast<W>((s.*MArr)[i]));
    return Ok{};
  };
  f.load = [](S& s, Reader& r) -> Status {
    if constexpr (std::is_signed_v<L>)
      if (s.*MLen < 0) return Error{fmt::format("negative length {}", s.*MLen)};
    const auto n = static_cast<std::uint64_t>(s.*MLen);
    if (n > N) return Error{fmt::format("incoming length {} exceeds the capacity {}", n, std::size_t{N})};
    if (r.remaining() < n * sizeof(W)) return detail::truncated(r, n * sizeof(W));
    for (std::size_t i = 0; i < n; ++i) {
      W v{};
      detail::get<W>(r, v);
      (s.*MArr)[i] = static_cast<E>(v);
    }
    return Ok{};
  };
  return f;
}

// A nested struct (QEMU's VMSTATE_STRUCT) described by its own Section: D = &kThatDescription.
// It loads with the nested description's own version, as QEMU does.
template <auto M, auto D>
constexpr auto structure(std::string_view name) {
  using S = detail::class_of<M>;
  using T = detail::value_of<M>;
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(*D)>, Section<T>>,
                "the nested description must describe the member's type");
  Field<S> f{};
  f.name = name;
  f.kind = Kind::Struct;
  f.host_size = sizeof(T);
  f.save = [](const S& s, Writer& w, Json* desc) -> Status { return detail::save_body(*D, s.*M, w, desc); };
  f.load = [](S& s, Reader& r) -> Status { return detail::load_body(*D, s.*M, r, D->version); };
  f.schema = [](Json& j) { j = detail::schema_of(*D); };
  f.storage = [](S& s, const std::string& path, const StorageVisitor& fn) {
    detail::visit_storage(*D, s.*M, fn, path + ".");
  };
  return f;
}

// A fixed array of nested structs (QEMU's VMSTATE_STRUCT_ARRAY): std::array<T, N>, each element
// described by D = &kThatDescription (a Section<T> without subsections, so that the vmdesc lists
// the array once with "array_len", as QEMU's compressed entries do).
template <auto M, auto D>
constexpr auto struct_array(std::string_view name) {
  using S = detail::class_of<M>;
  using A = detail::value_of<M>;
  static_assert(detail::array_traits<A>::value, "struct_array needs a std::array member");
  using T = typename detail::array_traits<A>::elem;
  constexpr std::size_t N = detail::array_traits<A>::size;
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(*D)>, Section<T>>,
                "the nested description must describe the element type");
  Field<S> f{};
  f.name = name;
  f.kind = Kind::Struct;
  f.shape = Shape::Array;
  f.capacity = static_cast<std::uint32_t>(N);
  f.host_size = sizeof(T);
  f.save = [](const S& s, Writer& w, Json* desc) -> Status {
    if (!D->subsections.empty()) return Error{"struct_array element description has subsections"};
    for (std::size_t i = 0; i < N; ++i) {
      Status st = detail::save_body(*D, (s.*M)[i], w, i == 0 ? desc : nullptr);
      if (!st) return st.error().within(fmt::format("[{}]: ", i));
    }
    return Ok{};
  };
  f.load = [](S& s, Reader& r) -> Status {
    for (std::size_t i = 0; i < N; ++i) {
      Status st = detail::load_body(*D, (s.*M)[i], r, D->version);
      if (!st) return st.error().within(fmt::format("[{}]: ", i));
    }
    return Ok{};
  };
  f.schema = [](Json& j) { j = detail::schema_of(*D); };
  f.storage = [](S& s, const std::string& path, const StorageVisitor& fn) {
    for (std::size_t i = 0; i < N; ++i) detail::visit_storage(*D, (s.*M)[i], fn, fmt::format("{}[{}].", path, i));
  };
  return f;
}

// A wire field with no member behind it: lockstep only ever has `Value` there (e.g. QEMU's
// serial tsr_retry, always 0 because transmission is instantaneous). Saves Value; a load of any
// other value is refused, naming the field, rather than silently dropping state lockstep cannot model.
template <class S, class W, W Value>
constexpr Field<S> fixed_value(std::string_view name) {
  Field<S> f{};
  f.name = name;
  f.kind = detail::kind_of<W>();
  f.host_size = sizeof(W);
  f.save = [](const S&, Writer& w, Json*) -> Status {
    detail::put<W>(w, Value);
    return Ok{};
  };
  f.load = [](S&, Reader& r) -> Status {
    W v{};
    if (!detail::get<W>(r, v)) return detail::truncated(r, sizeof(W));
    if (v != Value) return Error{fmt::format("incoming {:#x}, lockstep supports only {:#x}", v, Value)};
    return Ok{};
  };
  return f;
}

// ---------------------------------------------------------------------------------------------
namespace detail {

template <class S>
std::uint32_t wire_elems(const Field<S>& f, const S& s) {
  if (f.count) return f.count(s);
  return f.shape == Shape::Scalar ? 1 : f.capacity;
}

// Set for the duration of save(..., {.every_subsection = true}): nested struct fields save
// through fixed function pointers that cannot carry the option. Per thread, so parallel saves of
// other machines are unaffected.
inline thread_local bool every_subsection = false;
// Set for the duration of save(..., {.withheld_subsections = ...}), for the same reason: the
// subsections (by full name, at any depth) this save must not write.
inline thread_local std::span<const std::string_view> withheld_subsections{};

inline bool withheld(std::string_view subsection) {
  for (std::string_view name : withheld_subsections)
    if (name == subsection) return true;
  return false;
}

template <class S>
Status save_body(const Section<S>& d, const S& s, Writer& w, Json* desc, int version_id) {
  // version_id 0: the description's own version (nested structs and subsections always use theirs).
  const int v = version_id ? version_id : d.version;
  if (d.pre_save) {
    Status st = d.pre_save(s);
    if (!st) return Error{fmt::format("{}: pre_save: {}", d.name, st.error().message)};
  }
  if (desc) {
    // An object is a vector of (const key, value) pairs: growing it copies every value, nested
    // descriptions included, so each object gets its final size first.
    *desc = Json::object();
    desc->get_ref<Json::object_t&>().reserve(4);
    (*desc)["vmsd_name"] = d.name;
    (*desc)["version"] = v;
    (*desc)["fields"] = Json::array();
  }
  for (const Field<S>& f : d.fields) {
    const bool present = f.exists ? f.exists(s, v) : f.version <= v;
    if (!present) continue;
    const std::size_t start = w.size();
    Json nested;
    Status st = f.save(s, w, desc && f.kind == Kind::Struct ? &nested : nullptr);
    if (!st) return st.error().within(fmt::format("{}: field '{}': ", d.name, f.name));
    if (!desc) continue;
    const std::uint32_t n = wire_elems(f, s);
    if (n == 0) continue;  // QEMU's save loop writes no vmdesc entry for an empty array
    Json e = Json::object();
    e.get_ref<Json::object_t&>().reserve(5);
    e["name"] = f.name;
    if (f.shape != Shape::Scalar && n > 1) e["array_len"] = n;
    e["type"] = type_name(f.kind, f.equal);
    if (f.kind == Kind::Struct) e["struct"] = std::move(nested);
    e["size"] = (w.size() - start) / (f.shape != Shape::Scalar ? n : 1);
    (*desc)["fields"].push_back(std::move(e));
  }
  Json subs;  // an array once the first subsection description arrives (no allocation when !desc)
  for (const Section<S>* sub : d.subsections) {
    if (sub->until_version && v > sub->until_version) continue;
    if (sub->enabled && !sub->enabled(s)) continue;
    if (withheld(sub->name)) continue;
    if (sub->needed && !detail::every_subsection && !sub->needed(s)) continue;
    w.put_u8(kSubsectionByte);
    w.put_counted(sub->name);
    w.put_be32(static_cast<std::uint32_t>(sub->version));
    Json sd;
    Status st = save_body(*sub, s, w, desc ? &sd : nullptr);
    if (!st) return st;
    if (desc) subs.push_back(std::move(sd));
  }
  if (desc && !subs.is_null()) (*desc)["subsections"] = std::move(subs);
  return Ok{};
}

template <class S>
Status load_body(const Section<S>& d, S& s, Reader& r, int version_id) {
  if (version_id > d.version)
    return Error{fmt::format("{}: incoming version_id {} is too new for local version_id {}", d.name, version_id,
                             d.version)};
  if (version_id < d.min_version)
    return Error{fmt::format("{}: incoming version_id {} is too old for local minimum version_id {}", d.name,
                             version_id, d.min_version)};
  for (const Field<S>& f : d.fields) {
    const bool present = f.exists ? f.exists(s, version_id) : f.version <= version_id;
    if (!present) continue;
    const std::size_t at = r.offset();
    Status st = f.load(s, r);
    if (!st) return st.error().within(fmt::format("{}: field '{}' at offset {}: ", d.name, f.name, at));
  }
  // Subsections: while the next byte is 0x05 and the name belongs to this section.
  std::uint64_t seen = 0;  // bit i: subsection i arrived (descriptions have < 64 subsections)
  for (;;) {
    std::uint8_t tag = 0;
    if (!r.peek_u8(tag) || tag != kSubsectionByte) break;
    const std::size_t rewind = r.pos();
    const std::size_t at = r.offset();
    r.get_u8(tag);
    std::string_view name;
    if (!r.get_counted(name))
      return Error{fmt::format("{}: subsection header at offset {}: truncated input", d.name, at), ErrorKind::kTruncated};
    std::size_t idx = 0;
    while (idx < d.subsections.size() && d.subsections[idx]->name != name) ++idx;
    // Ours if it is one of ours or named "<this>/...". QEMU tests only the prefix, so after
    // "cpu/pmp" a following "cpu/pmp2" would be claimed by cpu/pmp; the '/' keeps it with "cpu".
    const bool ours = idx < d.subsections.size() ||
                      (name.starts_with(d.name) && name.size() > d.name.size() && name[d.name.size()] == '/');
    if (!ours) {  // not ours: leave it to the caller, as QEMU does
      r.seek(rewind);
      break;
    }
    std::uint32_t ver = 0;
    if (!r.get_be32(ver))
      return Error{fmt::format("{}: subsection '{}' header at offset {}: truncated input", d.name, name, at),
                   ErrorKind::kTruncated};
    if (idx == d.subsections.size())
      return Error{fmt::format("VM subsection '{}' in '{}' does not exist (at offset {})", name, d.name, at),
                   ErrorKind::kUnknownSubsection};
    if (idx < 64 && (seen >> idx & 1))
      return Error{fmt::format("{}: subsection '{}' sent twice (at offset {})", d.name, name, at)};
    if (idx < 64) seen |= std::uint64_t{1} << idx;
    if (ver > 0x7fffffffu)
      return Error{fmt::format("{}: incoming version_id {} is too new for local version_id {}", name, ver,
                               d.subsections[idx]->version)};
    Status st = load_body(*d.subsections[idx], s, r, static_cast<int>(ver));
    if (!st) return st;
  }
  for (std::size_t i = 0; i < d.subsections.size(); ++i) {
    const bool arrived = i < 64 && (seen >> i & 1);
    const bool folded = d.subsections[i]->until_version && version_id > d.subsections[i]->until_version;
    if (!arrived && !folded && d.subsections[i]->absent) d.subsections[i]->absent(s);
  }
  if (d.post_load) {
    Status st = d.post_load(s, version_id);
    if (!st) return st.error().within(fmt::format("{}: post_load: ", d.name));
  }
  return Ok{};
}

template <class S>
Json schema_of(const Section<S>& d) {
  Json j;
  j["name"] = d.name;
  j["version_id"] = d.version;
  j["minimum_version_id"] = d.min_version;
  Json fields = Json::array();
  for (const Field<S>& f : d.fields) {
    Json e;
    e["field"] = f.name;
    e["version_id"] = f.version;
    e["field_exists"] = f.exists != nullptr;
    e["size"] = f.host_size;
    if (f.kind == Kind::Struct) {
      Json nested;
      f.schema(nested);
      e["Description"] = std::move(nested);
    }
    fields.push_back(std::move(e));
  }
  j["Fields"] = std::move(fields);
  if (!d.subsections.empty()) {
    Json subs = Json::array();
    for (const Section<S>* sub : d.subsections) subs.push_back(schema_of(*sub));
    j["Subsections"] = std::move(subs);
  }
  return j;
}

template <class S>
void visit_storage(const Section<S>& d, S& s, const StorageVisitor& fn, const std::string& prefix) {
  for (const Field<S>& f : d.fields)
    if (f.storage) f.storage(s, prefix + std::string(f.name), fn);
  for (const Section<S>* sub : d.subsections) visit_storage(*sub, s, fn, prefix);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// The walker's entry points.

// How to save. version: write the section as this older version_id (0 = the description's own),
// e.g. "serial" v2 for an old machine type: fields whose .since / exists_if say they are absent at
// that version are left out and the vmdesc says that version; the stream layer writes the same
// number into the section header. Below min_version or above version is refused.
struct SaveOptions {
  int version = 0;
  // Write every subsection whatever its needed() says (enabled() and until_version still hold):
  // the whole state, for comparing two machines when a needed() may lie (`lockstep fuzz`).
  bool every_subsection = false;
  // Subsections (full names, "riscv_sifive_plic/source96") never written, whatever needed() says:
  // a machine version's compat property for a destination that does not know them (QEMU's
  // compat-property-switched needed()). The names must outlive the save.
  std::span<const std::string_view> withheld_subsections{};
};


// Appends the section body (fields, then needed subsections) to w. With vmdesc, also fills the
// vmsd part of the vmdesc entry ({"vmsd_name","version","fields"[,"subsections"]}) in the same walk.
template <class S>
Status save(const Section<S>& d, const S& s, Writer& w, Json* vmdesc = nullptr, SaveOptions opt = {}) {
  if (opt.version != 0 && (opt.version > d.version || opt.version < d.min_version))
    return Error{fmt::format("{}: cannot save as version_id {}: the description has versions {}..{}", d.name,
                             opt.version, d.min_version, d.version)};
  struct Scope {
    bool saved = detail::every_subsection;
    std::span<const std::string_view> saved_withheld = detail::withheld_subsections;
    ~Scope() {
      detail::every_subsection = saved;
      detail::withheld_subsections = saved_withheld;
    }
  } scope;
  detail::every_subsection = opt.every_subsection || scope.saved;
  if (!opt.withheld_subsections.empty()) detail::withheld_subsections = opt.withheld_subsections;
  return detail::save_body(d, s, w, vmdesc, opt.version);
}

template <class S>
Result<std::vector<std::uint8_t>> save_bytes(const Section<S>& d, const S& s, SaveOptions opt = {}) {
  Writer w;
  Status st = save(d, s, w, nullptr, opt);
  if (!st) return st.error();
  return w.take();
}

// Reads one section body of the given stream version_id into s, in place: on error s may be
// partly written (use load_bytes for all-or-nothing). Stops before bytes that are not its own
// (the section footer, another section); the stream layer checks what follows.
template <class S>
Status load(const Section<S>& d, S& s, Reader& r, int version_id) {
  return detail::load_body(d, s, r, version_id);
}

// Loads a whole body (nothing may follow it) into a copy of s and commits only on success, so a
// refused stream leaves s untouched.
template <class S>
Status load_bytes(const Section<S>& d, S& s, std::span<const std::uint8_t> body, int version_id,
                  std::size_t base_offset = 0) {
  S tmp = s;
  Reader r(body, base_offset);
  Status st = load(d, tmp, r, version_id);
  if (!st) return st;
  if (r.remaining() != 0)
    return Error{fmt::format("{}: {} unexpected bytes after the section body at offset {}", d.name, r.remaining(),
                             r.offset())};
  s = std::move(tmp);
  return Ok{};
}

// One "devices" entry of the vmdesc JSON that trails a stream.
template <class S>
Result<Json> vmdesc_entry(const Section<S>& d, const S& s, std::string_view idstr, std::uint32_t instance_id,
                          SaveOptions opt = {}) {
  Json e;
  e["name"] = idstr;
  e["instance_id"] = instance_id;
  Json body;
  Writer scratch;
  Status st = save(d, s, scratch, &body, opt);
  if (!st) return st.error();
  for (auto& [k, v] : body.items()) e[k] = v;
  return e;
}

// The -dump-vmstate entry ({"Name", "version_id", "minimum_version_id", "Description"}), keyed in
// QEMU's file by the device's type name.
template <class S>
Json dump_vmstate_entry(const Section<S>& d, std::string_view type_name) {
  Json e;
  e["Name"] = type_name;
  e["version_id"] = d.version;
  e["minimum_version_id"] = d.min_version;
  e["Description"] = detail::schema_of(d);
  return e;
}

// XXH3-64 of the canonical save bytes: every described field, nothing else.
std::uint64_t digest_bytes(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0);

template <class S>
Result<std::uint64_t> digest(const Section<S>& d, const S& s, std::uint64_t seed = 0) {
  auto bytes = save_bytes(d, s);
  if (!bytes) return bytes.error();
  return digest_bytes(bytes.value(), seed);
}

// Every member the description names (fields of every version, subsection fields, nested structs
// element by element), in description order, as Storage: for tests that set or compare state
// without the wire. A member a subsection repeats (e.g. a field folded in by a later version) is
// reported each time.
template <class S>
void for_each_storage(const Section<S>& d, S& s, const StorageVisitor& fn) {
  detail::visit_storage(d, s, fn, {});
}

}  // namespace lockstep::snapshot::vm
