//! A method's parameters into its typed input, with serde: the input is a struct whose
//! fields name the parameters (`#[serde(rename_all = "camelCase")]`), and a parameter
//! matches its field whatever its case (`envname` = `envName`), as the platform's
//! clients expect. A text field takes one value (given twice, it is refused); a number
//! is read from its text; a list (`Vec`) takes every value of its key, each split as
//! `split_list` does; an absent field is `None` for an `Option` and refused otherwise.

use std::fmt::Display;

use domain::catalogue::Method;
use domain::DomainError;
use serde::de::value::{SeqDeserializer, StrDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use crate::fields::Rule;
#[cfg(test)]
use crate::fields::{Id, Password, Required};
use crate::lists::split_list;
use crate::params::Params;

/// The typed input `T` of `method` from the call's parameters; parameters `T` does not
/// name (the credential, unknown ones) are left alone. `T` may only name parameters
/// the catalogue declares for `method` (what the API docs and OpenAPI list): one that
/// does not is a mistake in Patio, answered as an internal error.
pub fn decode<T: DeserializeOwned>(method: &Method, params: &Params) -> Result<T, DomainError> {
    T::deserialize(Struct { method, params }).map_err(|Error(e)| e)
}

/// A refusal as serde carries it.
#[derive(Debug)]
struct Error(DomainError);

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: Display>(message: M) -> Self {
        Self(DomainError::InvalidParam(message.to_string()))
    }

    fn missing_field(field: &'static str) -> Self {
        Self(DomainError::param(field, "is required"))
    }
}

/// The parameters as a struct: only `deserialize_struct` makes sense.
struct Struct<'p> {
    method: &'p Method,
    params: &'p Params,
}

impl<'de> de::Deserializer<'de> for Struct<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("a method's input must be a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let declared = |field: &&str| self.method.params.iter().any(|p| p.name == *field);
        if let Some(field) = fields.iter().find(|f| !declared(f)) {
            tracing::error!(
                method = self.method.id,
                parameter = field,
                "a method's input reads a parameter its catalogue entry does not declare"
            );
            return Err(Error(DomainError::Internal));
        }
        visitor.visit_map(Fields {
            params: self.params,
            fields: fields.iter(),
            current: None,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

/// Walks the struct's fields, yielding those the call gives.
struct Fields<'p> {
    params: &'p Params,
    fields: std::slice::Iter<'static, &'static str>,
    current: Option<Value<'p>>,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        for &name in self.fields.by_ref() {
            let values = self.params.values_of(name);
            if !values.is_empty() {
                self.current = Some(Value { name, values });
                let key: StrDeserializer<'_, Error> = name.into_deserializer();
                return seed.deserialize(key).map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .current
            .take()
            .ok_or_else(|| de::Error::custom("a value without its name"))?;
        seed.deserialize(value)
    }
}

/// Every value one parameter was given.
struct Value<'p> {
    name: &'static str,
    values: Vec<&'p str>,
}

impl<'p> Value<'p> {
    fn single(&self) -> Result<&'p str, Error> {
        match self.values.as_slice() {
            [one] => Ok(one),
            _ => Err(Error(DomainError::param(
                self.name,
                "is given more than once",
            ))),
        }
    }

    fn number<N: std::str::FromStr>(&self) -> Result<N, Error> {
        self.single()?
            .trim()
            .parse()
            .map_err(|_| Error(DomainError::param(self.name, "is not a number")))
    }
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.single()?.to_owned())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let refuse = |why: &str| Err(Error(DomainError::param(self.name, why)));
        match Rule::of(name) {
            Some(Rule::Required) if self.single()?.trim().is_empty() => refuse("is required"),
            Some(Rule::Password) if self.single()?.is_empty() => refuse("is required"),
            Some(Rule::Id) => match self.single()?.trim().parse::<i64>() {
                Ok(id) if id > 0 => visitor.visit_newtype_struct(id.into_deserializer()),
                _ => refuse("is not an id"),
            },
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i64(self.number()?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u32(self.number()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u64(self.number()?)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.single()?.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => visitor.visit_bool(true),
            "false" | "0" | "" => visitor.visit_bool(false),
            _ => Err(Error(DomainError::param(self.name, "is not true or false"))),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut items = Vec::new();
        for value in &self.values {
            items.extend(split_list(self.name, value).map_err(Error)?);
        }
        visitor.visit_seq(SeqDeserializer::<_, Error>::new(items.into_iter()))
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct tuple tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use domain::catalogue::{Access, Param, ParamKind, Reach};
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        env_name: String,
        node_id: Option<i64>,
        api_list: Option<Vec<String>>,
        note: Option<String>,
    }

    const fn param(name: &'static str, kind: ParamKind) -> Param {
        Param {
            name,
            kind,
            required: false,
            description: "",
        }
    }

    static METHOD: Method = Method {
        id: "test.decode.Input",
        access: Access::Grantable,
        reach: Reach::None,
        summary: "",
        docs: "",
        params: &[
            param("envName", ParamKind::Text),
            param("nodeId", ParamKind::Text),
            param("apiList", ParamKind::List),
            param("note", ParamKind::Text),
        ],
        returns: "",
        errors: &[],
    };

    fn input(query: &str) -> Result<Input, DomainError> {
        decode(&METHOD, &Params::from_urlencoded(query)?)
    }

    #[test]
    fn fields_take_their_parameter_whatever_its_case() {
        let got = input("ENVNAME=shop&nodeid=42&apiList=a,b&apiList=c&session=x").unwrap();
        assert_eq!(got.env_name, "shop");
        assert_eq!(got.node_id, Some(42));
        assert_eq!(got.api_list.unwrap(), ["a", "b", "c"]);
        assert_eq!(got.note, None);
    }

    #[test]
    fn refusals_name_the_parameter() {
        let message = |q: &str| input(q).unwrap_err().to_string();
        assert!(message("nodeId=1").contains("envName"));
        assert!(message("envName=a&envname=b").contains("more than once"));
        assert!(message("envName=a&nodeId=x").contains("nodeId"));
        assert!(message("envName=a&apiList=[1,").contains("apiList"));
    }

    #[test]
    fn an_input_may_only_read_what_the_catalogue_declares() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Undeclared {
            secret_flag: Option<String>,
        }
        let params = Params::from_urlencoded("secret_flag=1").unwrap();
        let refused = decode::<Undeclared>(&METHOD, &params).unwrap_err();
        assert!(matches!(refused, DomainError::Internal));
    }

    #[test]
    fn shared_rules_name_their_parameter() {
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Ruled {
            env_name: Required,
            note: Option<Password>,
            node_id: Option<Id>,
        }
        let ruled = |q: &str| decode::<Ruled>(&METHOD, &Params::from_urlencoded(q).unwrap());
        let got = ruled("envName=shop&note=+pass+word+&nodeId=7").unwrap();
        assert_eq!(got.env_name.0, "shop");
        assert_eq!(got.note.unwrap().expose(), " pass word ");
        assert_eq!(got.node_id.unwrap().0, 7);
        let message = |q: &str| ruled(q).unwrap_err().to_string();
        assert!(message("envName=+").contains("envName: is required"));
        assert!(message("envName=a&note=").contains("note: is required"));
        assert!(message("envName=a&nodeId=0").contains("nodeId: is not an id"));
        assert!(message("envName=a&nodeId=x").contains("nodeId: is not an id"));
        assert!(
            !format!("{:?}", ruled("envName=a&note=hunter2").unwrap().note).contains("hunter2")
        );
    }

    static ANY: Method = Method {
        id: "test.decode.Any",
        access: Access::Grantable,
        reach: Reach::None,
        summary: "",
        docs: "",
        params: &[
            param("a", ParamKind::List),
            param("b", ParamKind::List),
            param("c", ParamKind::List),
            param("d", ParamKind::List),
            param("e", ParamKind::List),
            param("password", ParamKind::Password),
            param("blank", ParamKind::Text),
        ],
        returns: "",
        errors: &[],
    };

    fn any<T: DeserializeOwned>(query: &str) -> Result<T, DomainError> {
        decode(&ANY, &Params::from_urlencoded(query).unwrap())
    }

    #[test]
    fn lists_come_as_arrays_comma_lists_or_repeated_keys() {
        #[derive(Deserialize)]
        struct Lists {
            a: Option<Vec<String>>,
            b: Option<Vec<String>>,
            c: Option<Vec<String>>,
            d: Option<Vec<String>>,
            e: Option<Vec<String>>,
        }
        let p: Lists =
            any("a=x&a=y,z&b=%5B%22p%22%2C%22q%22%5D&c=%5B%27r%27%2C+%27s%27%5D&D=%5B1%2C+2%5D")
                .unwrap();
        assert_eq!(p.a.unwrap(), ["x", "y", "z"]);
        assert_eq!(p.b.unwrap(), ["p", "q"]);
        assert_eq!(p.c.unwrap(), ["r", "s"]);
        assert_eq!(p.d.unwrap(), ["1", "2"]);
        assert_eq!(p.e, None);
    }

    #[test]
    fn ids_are_positive_integers() {
        #[derive(Deserialize)]
        struct OneId {
            a: Id,
        }
        assert_eq!(any::<OneId>("a=7").unwrap().a.0, 7);
        assert!(any::<OneId>("a=-1").is_err());
        assert!(any::<OneId>("a=x").is_err());
        assert_eq!(any::<OneId>("a=%207%20").unwrap().a.0, 7);
    }

    #[test]
    fn passwords_keep_their_spaces() {
        #[derive(Deserialize)]
        struct Secret {
            password: Password,
        }
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Blank {
            blank: Required,
        }
        let p: Secret = any("password=%20secret%20").unwrap();
        assert_eq!(p.password.expose(), " secret ");
        assert!(any::<Blank>("blank=%20").is_err());
        assert!(any::<Blank>("").is_err());
    }
}
