import { parseIdRanges } from "../../shared/id-ranges"; console.log(parseIdRanges("1-3"));
